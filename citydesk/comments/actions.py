"""Every change to comments: a reader's post and 举报, and the desk's approve, reject,
delete and 官方回复. Refusals are `Refused`, with the HTTP status and the message the
reader or the moderator reads."""

import re
import unicodedata

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from citydesk.comments.identity import IdentityRefused, identity_check
from citydesk.comments.models import (
    MAX_BODY,
    MAX_NICKNAME,
    ClosedArticle,
    Comment,
    CommentPolicy,
    Report,
)
from citydesk.content.models import Article
from citydesk.core import limits
from citydesk.newsroom import sensitive

# (seconds, most posts) per writer's network and per reader (a browser's cookie).
NETWORK_LIMITS = ((60, 3), (3600, 20))
READER_LIMITS = ((15, 1),)
# An approved comment this many networks report waits for a moderator again.
REPORTS_TO_HIDE = 3
PHONE = re.compile(r"^1\d{10}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SPACES = re.compile(r"\s+")


class Refused(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def closed_because(article: Article) -> str:
    """Why the article takes no comments now ("" when it does)."""
    if article.status == Article.Status.RETRACTED:
        return "这篇文章已撤稿，不能评论"
    if not article.is_live:
        return "这篇文章现在不能评论"
    if ClosedArticle.objects.filter(article=article).exists():
        return "这篇文章已关闭评论"
    channels = article.channels.values_list("pk", flat=True)
    if CommentPolicy.objects.filter(channel__in=channels, closed=True).exists():
        return "这个栏目已关闭评论"
    return ""


def reviews_first(article: Article) -> bool:
    """先审后发 unless every channel of the article publishes first (the stricter wins)."""
    channels = set(article.channels.values_list("pk", flat=True))
    first = CommentPolicy.objects.filter(
        channel__in=channels, mode=CommentPolicy.Mode.PUBLISH_FIRST
    ).count()
    return not channels or first < len(channels)


def _plain(text: str) -> str:
    # Control and format characters (zero-width joiners, bidi overrides) hide words from
    # the check and garble the page: dropped, except line breaks.
    return "".join(
        c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf")
    ).strip()


def _within(key: str, windows: tuple[tuple[int, int], ...]) -> bool:
    return all(limits.counted(f"comments:{key}", seconds)[0] <= most for seconds, most in windows)


def post_comment(
    request: HttpRequest,
    article: Article,
    *,
    nickname: str,
    body: str,
    contact: str = "",
    network: str,
    reader: str = "",
) -> Comment:
    nickname, body, contact = _plain(nickname), _plain(body), contact.strip()
    if not nickname or len(nickname) > MAX_NICKNAME:
        raise Refused(f"请填写昵称（最多 {MAX_NICKNAME} 字）")
    if not body:
        raise Refused("评论内容不能为空")
    if len(body) > MAX_BODY:
        raise Refused(f"评论最多 {MAX_BODY} 字（现有 {len(body)} 字）", 413)
    if (contact and not (PHONE.match(contact) or EMAIL.match(contact))) or len(contact) > 100:
        raise Refused("联系方式须为手机号或电子邮箱（不会公开）")
    reason = closed_because(article)
    if reason:
        raise Refused(reason, 403)
    if not _within(f"n:{network}", NETWORK_LIMITS) or (
        reader and not _within(f"r:{reader}", READER_LIMITS)
    ):
        raise Refused("评论太频繁，请稍后再试", 429)
    try:
        verified = identity_check().verify(request, contact)
    except IdentityRefused as exc:
        raise Refused(str(exc) or "请先完成实名认证", 403) from exc
    # Spaces between the characters of a listed word (代 开 发 票) do not hide it.
    hits = sensitive.check({"title": SPACES.sub("", nickname), "summary": SPACES.sub("", body)})
    words = "、".join(dict.fromkeys(hit.word for hit in hits))
    approved = not hits and not reviews_first(article)
    return Comment.objects.create(
        article=article,
        nickname=nickname,
        contact=contact,
        verified_as=verified,
        body=body,
        network=network,
        status=Comment.Status.APPROVED if approved else Comment.Status.PENDING,
        note=f"含敏感词：{words}" if words else "",
    )


def report(comment: Comment, network: str, reason: str = "") -> bool:
    """A reader's 举报; False when this network had reported it already."""
    try:
        with transaction.atomic():
            Report.objects.create(comment=comment, network=network, reason=_plain(reason)[:100])
    except IntegrityError:
        return False
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        locked.reports += 1
        if locked.status == Comment.Status.APPROVED and locked.reports >= REPORTS_TO_HIDE:
            locked.status = Comment.Status.PENDING
            locked.note = f"被举报 {locked.reports} 次，待复核"
        locked.save(update_fields=["reports", "status", "note"])
    return True


MODERATIONS = {
    "approve": Comment.Status.APPROVED,
    "reject": Comment.Status.REJECTED,
    "delete": Comment.Status.DELETED,
}


def moderate(comment: Comment, action: str, user: User, note: str = "") -> Comment:
    if action not in MODERATIONS:
        raise Refused("没有这个操作")
    comment.status = MODERATIONS[action]
    comment.note = _plain(note)[:200] or comment.note
    comment.moderated_by, comment.moderated_at = user, timezone.now()
    comment.save(update_fields=["status", "note", "moderated_by", "moderated_at"])
    return comment


def reply(comment: Comment, text: str, user: User) -> Comment:
    """The desk's 官方回复, shown under the comment (empty text takes it away)."""
    text = _plain(text)
    if len(text) > MAX_BODY:
        raise Refused(f"回复最多 {MAX_BODY} 字")
    comment.official_reply = text
    comment.replied_at = timezone.now() if text else None
    comment.moderated_by = user
    comment.save(update_fields=["official_reply", "replied_at", "moderated_by"])
    return comment
