"""What follows a partner's draft: its pictures fetched into the library."""

import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from citydesk.content import actions as content
from citydesk.content import images
from citydesk.content.models import Article
from citydesk.core.tasks import Gone, follow_up

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20
QUEUE = "feeds"  # partners' fetches may take their timeout: not on the purges' thread


class FetchError(Exception):
    pass


def fetch(url: str) -> bytes:
    """A picture's bytes, at most the library's size limit."""
    limit = images.max_bytes()
    request = urllib.request.Request(url, headers={"User-Agent": "citydesk"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            data: bytes = response.read(limit + 1)
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise FetchError(f"{url}: {exc}") from exc
    if len(data) > limit:
        raise FetchError(f"{url}: larger than {limit} bytes")
    return data


@follow_up(label="抓取合作方稿件中的图片", after_commit=False, queue=QUEUE)
def fetch_pictures(article_id: int) -> None:
    """Each picture the body links to elsewhere becomes a library picture, and the block
    points at it. A picture that is not one (or too large) is left out of the body, with
    a log line; a network failure raises, and the task is retried."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise Gone(article_id)
    blocks: list[dict[str, Any]] = []
    changed = False
    for block in article.body:
        src = str(block.get("src", ""))
        if block.get("type") != "image" or block.get("image_id") or not src.startswith("http"):
            blocks.append(block)
            continue
        data = fetch(src)
        name = urlsplit(src).path.rsplit("/", 1)[-1][:80] or "picture"
        try:
            image = content.create_image(
                name,
                data,
                caption=str(block.get("caption", "")),
                credit=str(block.get("credit", "")),
            )
        except images.ImageError as exc:
            log.warning("partner picture %s of article %s refused: %s", src, article_id, exc)
            changed = True
            continue
        blocks.append({**block, "image_id": image.pk, "src": image.file.url})
        changed = True
    if changed:
        content.edit_article(article, {"body": blocks})
