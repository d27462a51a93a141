"""The API's durable tasks: a partner draft's pictures fetched into the library; the
webhooks and the search-engine push that follow a change."""

import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from citydesk.api import notify
from citydesk.content import actions as content
from citydesk.content import images
from citydesk.content.models import Article
from citydesk.core.tasks import Gone, Policy, follow_up
from citydesk.syndication.meta import absolute_url

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 20  # for each connect and read
FETCH_SECONDS = 60  # for a whole picture
QUEUE = "feeds"  # partners' fetches may take their timeout: not on the purges' thread


class FetchError(Exception):
    pass


class Refused(FetchError):
    """A URL the server will not fetch, now or later."""


def check_address(url: str) -> None:
    """Refuse URLs that are not http(s) or that name this machine's own network (a
    partner's draft must not make the server fetch its neighbours: SSRF), unless
    CITYDESK_API_FETCH_PRIVATE allows it (tests, and sites whose partners are inside).
    The name is resolved again when fetched: a partner's DNS that changes its answer in
    between (rebinding) is not caught here, the one gap left."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"{url}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{url}: not an http(s) URL")
    if settings.CITYDESK_API_FETCH_PRIVATE:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 80, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"{url}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise Refused(f"{url}: {address} is not a public address")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead anywhere, past check_address: partners link pictures directly.
    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> None:
        raise Refused(f"{req.full_url}: redirected ({code}) to {newurl}")


_opener = urllib.request.build_opener(_NoRedirects)


def fetch(url: str) -> bytes:
    """A picture's bytes, at most the library's size limit, within FETCH_SECONDS in all
    (a server sending a byte a second would otherwise hold the queue's thread)."""
    check_address(url)
    limit = images.max_bytes()
    deadline = time.monotonic() + FETCH_SECONDS
    request = urllib.request.Request(url, headers={"User-Agent": "citydesk"})
    chunks: list[bytes] = []
    size = 0
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            while chunk := response.read(64 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise Refused(f"{url}: larger than {limit} bytes")
                if time.monotonic() > deadline:
                    raise FetchError(f"{url}: slower than {FETCH_SECONDS} s")
    except (urllib.error.URLError, TimeoutError, ValueError, OSError) as exc:
        raise FetchError(f"{url}: {exc}") from exc
    return b"".join(chunks)


@follow_up(label="抓取合作方稿件中的图片", after_commit=False, queue=QUEUE)
def fetch_pictures(article_id: int) -> None:
    """Each picture the body links to elsewhere becomes a library picture, and its block
    points at it, one picture at a time (a retry after a network failure fetches only
    those still outside). A file that is not a picture, too large, or refused is left
    out of the body, with a log line."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        raise Gone(article_id)
    outside: dict[str, dict[str, Any]] = {}  # src -> the first block showing it
    for block in article.body:
        src = str(block.get("src", ""))
        if block.get("type") == "image" and not block.get("image_id") and src.startswith("http"):
            outside.setdefault(src, block)
    for src, block in outside.items():
        try:
            data = fetch(src)
            name = urlsplit(src).path.rsplit("/", 1)[-1][:80] or "picture"
            image = content.create_image(
                name,
                data,
                caption=str(block.get("caption", "")),
                credit=str(block.get("credit", "")),
            )
        except (Refused, images.ImageError) as exc:
            log.warning("partner picture %s of article %s left out: %s", src, article_id, exc)
            _replace(article_id, src, None)
            continue
        _replace(article_id, src, image)


def _replace(article_id: int, src: str, image: Any) -> None:
    """The blocks showing `src` point at the library's `image` (or go, for None), in the
    body as it is now: an editor's edits made meanwhile stay."""
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise Gone(article_id)
        body = []
        for block in article.body:
            if block.get("type") != "image" or block.get("src") != src or block.get("image_id"):
                body.append(block)
            elif image is not None:
                body.append({**block, "image_id": image.pk, "src": image.file.url})
        if body != article.body:
            content.edit_article(article, {"body": body})


# What follows a change: partners' webhooks and Baidu's push (citydesk.api.notify).

DELIVERY_POLICY = Policy(max_attempts=8, first_delay=30.0, max_delay=3600.0)


# Left to the worker: a publish stores this one row whatever the number of subscribers.
@follow_up(label="通知合作方与搜索引擎", after_commit=False)
def notify_change(
    article_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    """The fan-out: a delivery and its task per subscriber, and the search-engine push."""
    event = notify.event_of(before, after)
    if not event:
        return
    notify.fan_out(article_id, event)
    if notify.baidu_enabled() and event in ("publish", "update"):
        article = Article.objects.filter(pk=article_id).first()
        if article is not None:
            push_to_baidu.enqueue(urls=[absolute_url(article.get_absolute_url())])


@follow_up(DELIVERY_POLICY, label="投递合作方回调", after_commit=False, queue=QUEUE)
def deliver(delivery_id: str) -> None:
    notify.deliver(delivery_id, final_attempt=DELIVERY_POLICY.max_attempts or 0)


# Retried hourly (a spent quota waits for the next day) for two days at most.
@follow_up(
    Policy(max_attempts=48, first_delay=60.0, max_delay=3600.0),
    label="推送百度普通收录",
    after_commit=False,
    queue=QUEUE,
)
def push_to_baidu(urls: list[str]) -> None:
    notify.push_to_baidu(urls)


def connect() -> None:
    from citydesk.content import signals

    signals.article_changed.connect(notify_change, when=_shown)


def _shown(article_id: int, before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """Whether readers saw the article before or after the change: only then is it news
    for partners (a draft's saves are not)."""
    return notify.event_of(before, after) != ""
