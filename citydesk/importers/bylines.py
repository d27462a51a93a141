"""Trailing Chinese bylines, as every importer meets them at the end of a body:

    (苏报融媒记者 朱琦 钱茹冰/文 王亭川/摄)      names before "/文", organisation before 记者
    （记者 张三 通讯员 李四/文 王五/视频）       titles in front of names
    (文/记者 王钟的)   （文：叶子）              the role in front
    (视频编辑：张贝龙 文字编辑：温凤浩)          "label：names", one label after another
    (责编：吴昊)                                  the responsible editor

`parse_byline` reads the text inside the parentheses; `take_byline` cuts a byline off the
end of a paragraph. Anything that is not plainly a byline ("(完)", "(3月5日)", "(CPI)")
is refused, so the text it came from stays as it was.
"""

import re
from dataclasses import dataclass, field

from citydesk.content.models import ArticleCredit

Role = ArticleCredit.Role
RESPONSIBLE = "responsible"  # not an ArticleCredit role: it fills Article.responsible_editor

# A label names the role of the names after it ("文/张三", "视频编辑：张三") or, after a
# slash, of the names before it ("张三/文").
LABELS: dict[str, tuple[str, ...]] = {
    "视频编辑": (Role.VIDEO_EDITOR,),
    "文字编辑": (Role.TEXT_EDITOR,),
    "编辑": (Role.TEXT_EDITOR,),
    "责任编辑": (RESPONSIBLE,),
    "责编": (RESPONSIBLE,),
    "记者": (Role.WRITER,),
    "撰稿": (Role.WRITER,),
    "文字": (Role.WRITER,),
    "文": (Role.WRITER,),
    "图文": (Role.WRITER, Role.PHOTOGRAPHER),
    "摄影": (Role.PHOTOGRAPHER,),
    "摄": (Role.PHOTOGRAPHER,),
    "图": (Role.PHOTOGRAPHER,),
    # The one credit for moving pictures is the video editor; the same people sign
    # "/视频" on one piece and "/摄像" on the next.
    "视频": (Role.VIDEO_EDITOR,),
    "摄像": (Role.VIDEO_EDITOR,),
}
# A title before a name says the name wrote the piece unless a label says otherwise;
# what comes before the title is the organisation ("苏报融媒记者朱琦").
_TITLED = re.compile(r"(.*?)(特约记者|见习记者|实习记者|首席记者|记者|通讯员|实习生)(.*)")
_NAME = re.compile(r"[\u4e00-\u9fff][\u4e00-\u9fff·]{1,7}|[A-Za-z][A-Za-z.'-]{1,29}")
_ORGANIZATION = re.compile(r"[\u4e00-\u9fffA-Za-z·]{2,20}")
# "This paper's reporter" names no organisation.
_NO_ORGANIZATION = frozenset({"本报", "本台", "本网", "本刊"})

# "张三 / 文" and "视频编辑： 张三" are one token each, with a canonical "/" or ":".
_AROUND_MARK = re.compile(r"\s*([/／:：])\s*")
_CANONICAL_MARK = {"/": "/", "／": "/", ":": ":", "：": ":"}
_SEPARATORS = re.compile(r"[\s、,，;；]+")
_MARK = re.compile(r"([/:])")
# A parenthesised group at the very end of a text, full- or half-width, none inside it.
_TRAILING_GROUP = re.compile(r"[(（]([^()（）\n]{1,120})[)）]\s*$")


@dataclass
class Byline:
    organization: str = ""
    credits: list[tuple[str, str]] = field(default_factory=list)  # (role, name)
    responsible_editor: str = ""


def _tokens(inner: str) -> list[str]:
    inner = _AROUND_MARK.sub(lambda m: _CANONICAL_MARK[m.group(1)], inner.strip())
    return [token for token in _SEPARATORS.split(inner) if token]


class _Reader:
    """Reads one byline token by token; names wait in `pending` until their role is known."""

    def __init__(self) -> None:
        self.byline = Byline()
        self.pending: list[str] = []
        self.roles: tuple[str, ...] = ()  # from a label in front: "文/", "视频编辑："
        self.titled = False  # a title was seen: names with no other role wrote the piece

    @property
    def current(self) -> tuple[str, ...]:
        return self.roles or ((Role.WRITER,) if self.titled else ())

    def person(self, token: str) -> bool:
        """A name, a title or both ("张三", "记者张三", "苏报融媒记者"); False if neither."""
        titled = _TITLED.fullmatch(token)
        if titled:
            organization, _title, token = titled.groups()
            if organization and organization not in _NO_ORGANIZATION:
                if not _ORGANIZATION.fullmatch(organization):
                    return False
                self.byline.organization = self.byline.organization or organization
            self.titled = True
            if not token:
                return True
        if not _NAME.fullmatch(token):
            return False
        self.pending.append(token)
        return True

    def assign(self, roles: tuple[str, ...]) -> None:
        for role in roles:
            for name in self.pending:
                if role == RESPONSIBLE:
                    self.byline.responsible_editor = self.byline.responsible_editor or name
                elif (role, name) not in self.byline.credits:
                    self.byline.credits.append((role, name))
        self.pending = []

    def label_in_front(self, label: str) -> bool:
        if self.pending and not self.current:
            # Names with no role may only be the paper's name: "新京报 记者：张三".
            lone = self.pending[0]
            if label != "记者" or len(self.pending) > 1 or self.byline.organization:
                return False
            if not _ORGANIZATION.fullmatch(lone):
                return False
            self.byline.organization, self.pending = lone, []
        self.assign(self.current)
        self.roles = LABELS[label]
        return True

    def label_after(self, left: str, label: str) -> bool:
        # Names after "文/" are its own; those after titles ("记者 张三 李四/文") wait for
        # this label.
        if self.roles:
            self.assign(self.roles)
        if left and not self.person(left):
            return False
        self.assign(LABELS[label])
        self.roles, self.titled = (), False
        return True

    def token(self, token: str) -> bool:
        parts = _MARK.split(token)
        if len(parts) == 1:
            # 记者 alone is a title like 通讯员: the names before it still wait for a role.
            if token not in LABELS or _TITLED.fullmatch(token):
                return self.person(token)  # 张三, 记者, 苏报融媒记者
            return self.label_in_front(token)  # 摄影 张三
        if len(parts) != 3:  # 2018/11/02, 文/张三/摄
            return False
        left, mark, right = parts
        if left in LABELS:  # 文/张三, 视频编辑:张三, 文/记者
            return self.label_in_front(left) and (not right or self.person(right))
        if mark == "/" and right in LABELS:  # 张三/文
            return self.label_after(left, right)
        if mark == ":":  # 晨光日报记者:张三, but not 记者注:…
            title = _TITLED.fullmatch(left)
            return bool(title and not title.group(3)) and self.person(left) and self.person(right)
        return False


def parse_byline(inner: str) -> Byline | None:
    """The credits in the text inside a byline's parentheses, or None if it is not one."""
    reader = _Reader()
    for token in _tokens(inner):
        if not reader.token(token):
            return None
    if reader.pending:
        if not reader.current:
            return None  # bare names with no role: "(马舸)" may be anything
        reader.assign(reader.current)
    byline = reader.byline
    return byline if byline.credits or byline.responsible_editor else None


def take_byline(text: str) -> tuple[str, Byline | None]:
    """`text` without the byline at its end, and the byline; (text, None) if it ends in none.

    The byline may stand alone ("(叶子/文)" gives "") or follow the last sentence.
    """
    match = _TRAILING_GROUP.search(text)
    byline = parse_byline(match.group(1)) if match else None
    if match is None or byline is None:
        return text, None
    return text[: match.start()].rstrip(), byline
