"""The 公众号 outlet, as WeChat's 草稿箱 and 发布能力 documentation describes it.

Each step is a durable task (tasks.py), and each writes the delivery's state:

1. `prepare`: the pictures go up (the cover through 永久素材 `/cgi-bin/material/add_material`
   as the draft's thumb_media_id; body pictures through `/cgi-bin/media/uploadimg`, whose
   mmbiz URLs are the only pictures a 公众号 article may show), and the article is
   written in WeChat's HTML subset (`to_html`);
2. `draft`: `/cgi-bin/draft/add` stores it in the 草稿箱 (state: drafted);
3. on an editor's click, `/cgi-bin/freepublish/submit` (state: submitted);
4. `/cgi-bin/freepublish/get` follows the result WeChat works out asynchronously: 1
   (publishing) is asked again later, 0 is published (with its article_url), anything
   else failed with WeChat's reason.

Errors: a stale token (40001) is fetched anew by the client; 45009 (the day's quota) and
a reply that is not JSON fail the step with the reason and leave it to the retries;
40007 (invalid media: a draft or picture WeChat no longer has) fails the delivery for an
editor to make the draft again (重试).
"""

import copy
import html
import io
import mimetypes
import urllib.parse
from typing import Any

import nh3
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageOps

from citydesk.content.actions import resolve_images
from citydesk.content.models import Article
from citydesk.syndication.meta import absolute_url
from citydesk.wechat import client
from citydesk.wechat.client import WechatError

QUOTA = 45009
INVALID_MEDIA = 40007
# freepublish/get's publish_status, as its documentation lists them.
PUBLISHING = 1
STATUS = {
    0: "发布成功",
    1: "发布中",
    2: "原创声明失败",
    3: "常规失败",
    4: "平台审核不通过",
    5: "成功后用户删除所有文章",
    6: "成功后系统封禁所有文章",
}
MAX_PICTURE_BYTES = 10 * 1024 * 1024  # what add_material takes (the cover)
UPLOADIMG_BYTES = 1024 * 1024  # what uploadimg takes (the body's pictures)
# The inline markup a paragraph keeps (stored already cleaned, content.sanitize); links
# go, their text stays: a 公众号 article may link only to WeChat's own pages.
INLINE = {"strong", "b", "em", "i", "u", "s", "sub", "sup", "br"}


def blocks(article: Article) -> list[dict[str, Any]]:
    """The body with each library picture's URL, caption and credit filled in."""
    return resolve_images(copy.deepcopy(article.body or []))


class Refused(Exception):
    """A step WeChat refused for good (retrying would not help); the message says why."""


def reason(exc: WechatError) -> str:
    """What editors read of a refusal."""
    if exc.code == QUOTA:
        return "公众号今日接口调用次数已用完（45009），稍后自动重试"
    if exc.code == INVALID_MEDIA:
        return "公众号素材已失效（40007），请重新生成草稿"
    return f"公众号接口出错：{exc}"


def _stored(src: str) -> str | None:
    """The media storage's name of a picture the site serves, or None for another's."""
    path = urllib.parse.urlsplit(src).path
    name = path.removeprefix("/media/")
    return name if name != path and default_storage.exists(name) else None


def _picture(src: str) -> tuple[str, bytes]:
    """The bytes of a picture the site serves (media), by its URL or path."""
    name = _stored(src)
    if name is None:
        raise Refused(f"图片不在本站媒体库中，无法上传到公众号：{src}")
    with default_storage.open(name, "rb") as handle:
        data = handle.read(MAX_PICTURE_BYTES + 1)
    if len(data) > MAX_PICTURE_BYTES:
        raise Refused(f"图片超过 10 MB，公众号不接受：{src}")
    return name.rsplit("/", 1)[-1], data


def as_jpeg(data: bytes, src: str) -> bytes:
    """uploadimg takes a JPEG or PNG of at most 1 MB: the picture at most 1080 px wide, as
    JPEG, smaller in quality until it fits."""
    try:
        with PILImage.open(io.BytesIO(data)) as source:
            picture = ImageOps.exif_transpose(source).convert("RGB")
    except (OSError, PILImage.DecompressionBombError) as exc:
        raise Refused(f"图片无法读取，不能上传到公众号：{src}") from exc
    picture.thumbnail((1080, 1080 * 4))
    for quality in (85, 70, 55):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality)
        if out.tell() <= UPLOADIMG_BYTES:
            return out.getvalue()
    raise Refused(f"图片压缩后仍超过 1 MB，公众号不接受：{src}")


def upload_body_picture(src: str) -> str:
    filename, data = _picture(src)
    jpeg = as_jpeg(data, src)
    name = filename.rsplit(".", 1)[0] + ".jpg"
    reply = client.call("/cgi-bin/media/uploadimg", upload=("media", name, jpeg))
    url = reply.get("url")
    if not isinstance(url, str) or not url:
        raise WechatError("WeChat's uploadimg reply holds no url")
    return url


def upload_cover(src: str) -> str:
    filename, data = _picture(src)
    if not mimetypes.guess_type(filename)[0]:
        filename += ".jpg"
    reply = client.call(
        "/cgi-bin/material/add_material",
        params={"type": "image"},
        upload=("media", filename, data),
    )
    media_id = reply.get("media_id")
    if not isinstance(media_id, str) or not media_id:
        raise WechatError("WeChat's add_material reply holds no media_id")
    return media_id


def picture_sources(article: Article) -> list[str]:
    """The body's pictures the site holds, in order, by the URL it shows them at (a
    picture linked from elsewhere is left out: a 公众号 article shows WeChat's only)."""
    return [
        str(block["src"])
        for block in blocks(article)
        if block.get("type") == "image" and block.get("src") and _stored(str(block["src"]))
    ]


def cover_source(article: Article) -> str:
    if article.cover:
        return article.cover.url
    pictures = picture_sources(article)
    if not pictures:
        raise Refused("公众号图文需要一张封面：请给稿件加封面图或正文图片")
    return pictures[0]


def to_html(article: Article, pictures: dict[str, str]) -> str:
    """The body in WeChat's subset: paragraphs, 小标题 as bold paragraphs, pictures at
    their mmbiz URLs with their captions, videos as a line pointing to the site (a 公众号
    article plays only videos from WeChat's own library)."""
    parts: list[str] = []
    for block in blocks(article):
        kind = block.get("type")
        text = nh3.clean(str(block.get("text", "")), tags=INLINE, attributes={})
        if kind == "paragraph" and text.strip():
            parts.append(f"<p>{text}</p>")
        elif kind == "heading" and text.strip():
            parts.append(f"<p><strong>{text}</strong></p>")
        elif kind == "image" and block.get("src") in pictures:
            parts.append(f'<p><img src="{html.escape(pictures[block["src"]])}"></p>')
            caption = html.escape(str(block.get("caption", "")))
            if caption:
                parts.append(f'<p style="font-size:14px;color:#666">{caption}</p>')
        elif kind == "video":
            parts.append("<p>（视频请在网站观看）</p>")
    return "\n".join(parts)


def draft(article: Article, thumb_media_id: str, content: str) -> str:
    credits = list(article.credits.select_related("person").order_by("position"))
    author = " ".join(c.person.name for c in credits if c.role == "writer")[:16]
    reply = client.call(
        "/cgi-bin/draft/add",
        body={
            "articles": [
                {
                    "title": article.title[:64],
                    "author": author,
                    "digest": article.summary[:120],
                    "content": content,
                    "content_source_url": absolute_url(article.get_absolute_url()),
                    "thumb_media_id": thumb_media_id,
                    "need_open_comment": 0,
                    "only_fans_can_comment": 0,
                }
            ]
        },
    )
    media_id = reply.get("media_id")
    if not isinstance(media_id, str) or not media_id:
        raise WechatError("WeChat's draft/add reply holds no media_id")
    return media_id


def submit(media_id: str) -> str:
    reply = client.call("/cgi-bin/freepublish/submit", body={"media_id": media_id})
    publish_id = reply.get("publish_id")
    if publish_id in (None, ""):
        raise WechatError("WeChat's freepublish/submit reply holds no publish_id")
    return str(publish_id)


def result(publish_id: str) -> dict[str, Any]:
    """freepublish/get's reply: publish_status, and article_id and article_detail once
    published."""
    return client.call("/cgi-bin/freepublish/get", body={"publish_id": publish_id})
