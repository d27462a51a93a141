"""WeChat's server API, as its documentation describes it: the access token
(`/cgi-bin/token`) and the JS-SDK's jsapi_ticket (`/cgi-bin/ticket/getticket`), each kept
in Django's cache until shortly before it expires (shared by every process and node where
CITYDESK_CACHE_URL names a Redis: WeChat limits how often a token may be fetched, and a
new one ends the old after five minutes), and the JS-SDK's signature.

Written by hand: the two calls are plain GETs with JSON replies, and the Python WeChat
SDKs (wechatpy and others) are unmaintained or bring far more than this needs.
"""

import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.cache import cache

TIMEOUT_SECONDS = 5
# Fetched again this long before WeChat says it expires: a page signed with a ticket
# about to expire would fail in the reader's browser.
MARGIN_SECONDS = 300
# The access token is no longer valid (40001: invalid, 40014: not a token, 42001:
# expired): fetched again once, then the call repeated.
STALE_TOKEN = {40001, 40014, 42001}
BUSY = -1  # "系统繁忙": try again later
FAILED_SECONDS = 30  # how long a failure is answered from the cache
LOCK_SECONDS = 5


class WechatError(Exception):
    """WeChat refused or did not answer; `code` is its errcode (None: no reply)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


def configured() -> bool:
    return bool(settings.CITYDESK_WECHAT_APP_ID and settings.CITYDESK_WECHAT_APP_SECRET)


def _get(
    path: str,
    params: dict[str, str],
    data: bytes | None = None,
    content_type: str = "",
) -> dict[str, Any]:
    """WeChat's JSON reply to a GET (or, with `data`, a POST); errcode ≠ 0 raises."""
    url = f"{settings.CITYDESK_WECHAT_API_URL}{path}?{urllib.parse.urlencode(params)}"
    headers = {"User-Agent": "citydesk"} | ({"Content-Type": content_type} if data else {})
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            raw = response.read(100_000)
    except urllib.error.HTTPError as exc:
        raise WechatError(f"WeChat answered HTTP {exc.code} to {path}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WechatError(f"WeChat did not answer {path}: {exc}") from exc
    try:
        reply = json.loads(raw)
    except ValueError as exc:
        raise WechatError(f"WeChat's reply to {path} is not JSON: {raw[:200]!r}") from exc
    if not isinstance(reply, dict):
        raise WechatError(f"WeChat's reply to {path} is not an object: {raw[:200]!r}")
    code = reply.get("errcode", 0)
    if code:
        message = reply.get("errmsg", "")
        busy = " (busy: try again later)" if code == BUSY else ""
        raise WechatError(f"WeChat refused {path}: {code} {message}{busy}", code)
    return reply


def _key(name: str) -> str:
    return f"wechat:{name}:{settings.CITYDESK_WECHAT_APP_ID}"


def _kept(name: str, reply: dict[str, Any], field: str) -> str:
    value = reply.get(field)
    if not isinstance(value, str) or not value:
        raise WechatError(f"WeChat's reply holds no {field}")
    expires = int(reply.get("expires_in") or 7200)
    cache.set(_key(name), value, max(60, expires - MARGIN_SECONDS))
    return value


def access_token(*, fresh: bool = False) -> str:
    """The account's access token, from the cache unless `fresh`."""
    if not fresh and (token := cache.get(_key("token"))):
        return str(token)
    reply = _get(
        "/cgi-bin/token",
        {
            "grant_type": "client_credential",
            "appid": settings.CITYDESK_WECHAT_APP_ID,
            "secret": settings.CITYDESK_WECHAT_APP_SECRET,
        },
    )
    return _kept("token", reply, "access_token")


def jsapi_ticket() -> str:
    """The JS-SDK's ticket, from the cache; a stale access token is fetched anew once.

    While WeChat fails, the failure is kept FAILED_SECONDS, so that readers' pages do not
    each wait on WeChat; and one process at a time fetches (a lock in the cache), while
    the others wait a moment for what it keeps."""
    if ticket := cache.get(_key("ticket")):
        return str(ticket)
    if failed := cache.get(_key("failed")):
        raise WechatError(str(failed))
    if not cache.add(_key("lock"), 1, LOCK_SECONDS):
        for _ in range(LOCK_SECONDS * 10):
            time.sleep(0.1)
            if ticket := cache.get(_key("ticket")):
                return str(ticket)
    try:
        return _fetch_ticket()
    except WechatError as exc:
        cache.set(_key("failed"), str(exc), FAILED_SECONDS)
        raise
    finally:
        cache.delete(_key("lock"))


def _fetch_ticket() -> str:
    token = access_token()  # a refusal here (a wrong secret) is not retried
    try:
        reply = _get("/cgi-bin/ticket/getticket", {"access_token": token, "type": "jsapi"})
    except WechatError as exc:
        if exc.code not in STALE_TOKEN:
            raise
        fresh = access_token(fresh=True)
        reply = _get("/cgi-bin/ticket/getticket", {"access_token": fresh, "type": "jsapi"})
    return _kept("ticket", reply, "ticket")


def signature(ticket: str, noncestr: str, timestamp: int, url: str) -> str:
    """The JS-SDK's signature (附录1): SHA-1 of the four fields, sorted by name, joined
    as key=value&..., with the page's URL as it is, less its fragment."""
    text = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(text.encode()).hexdigest()


def share_config(url: str) -> dict[str, Any]:
    """What the page passes to wx.config for `url`."""
    noncestr = secrets.token_hex(8)
    timestamp = int(time.time())
    return {
        "appId": settings.CITYDESK_WECHAT_APP_ID,
        "timestamp": timestamp,
        "nonceStr": noncestr,
        "signature": signature(jsapi_ticket(), noncestr, timestamp, url),
    }


def call(
    path: str,
    *,
    body: dict[str, Any] | None = None,
    upload: tuple[str, str, bytes] | None = None,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A call of the account's server API with its access token: a JSON `body` (written
    as UTF-8, not \\u escapes: WeChat stores those as they are), or an `upload` (field
    name, file name, bytes) as multipart/form-data. A stale token is fetched anew once."""
    if upload is not None:
        boundary = secrets.token_hex(16)
        field, filename, content = upload
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        content_type = f"multipart/form-data; boundary={boundary}"
    else:
        data = json.dumps(body or {}, ensure_ascii=False).encode()
        content_type = "application/json; charset=utf-8"
    try:
        return _get(path, {**(params or {}), "access_token": access_token()}, data, content_type)
    except WechatError as exc:
        if exc.code not in STALE_TOKEN:
            raise
        fresh = access_token(fresh=True)
        return _get(path, {**(params or {}), "access_token": fresh}, data, content_type)
