"""WeChat share cards: the JS-SDK's signature, the token and ticket against a local
server speaking WeChat's documented replies, the signing endpoint, and the article
page's script."""

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.testing import QuietHandler, http_server
from citydesk.wechat import client

APP_ID, SECRET = "wx0123456789abcdef", "s3cret"


class Wechat:
    """What the local server does: the tokens it has issued, the calls it saw, and the
    reply it gives next instead of the documented one (`refuse`)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.issued = 0
        self.refuse: dict[str, list[Any]] = {"token": [], "ticket": []}

    @property
    def token(self) -> str:
        return f"TOKEN-{self.issued}"

    def reply(self, path: str, query: dict[str, str]) -> Any:
        self.calls.append(path)
        kind = "token" if path == "/cgi-bin/token" else "ticket"
        if self.refuse[kind]:
            return self.refuse[kind].pop(0)
        if kind == "token":
            if (query.get("appid"), query.get("secret")) != (APP_ID, SECRET):
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            self.issued += 1
            return {"access_token": self.token, "expires_in": 7200}
        if query.get("access_token") != self.token or query.get("type") != "jsapi":
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return {"errcode": 0, "errmsg": "ok", "ticket": f"TICKET-{self.issued}", "expires_in": 7200}


@pytest.fixture
def wechat(settings) -> Iterator[Wechat]:
    state = Wechat()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            reply = state.reply(parts.path, query)
            body = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    with http_server(Handler) as base:
        settings.CITYDESK_WECHAT_APP_ID = APP_ID
        settings.CITYDESK_WECHAT_APP_SECRET = SECRET
        settings.CITYDESK_WECHAT_API_URL = base
        cache.clear()
        yield state
    cache.clear()


def signed(config: dict[str, Any], ticket: str, url: str) -> bool:
    text = (
        f"jsapi_ticket={ticket}&noncestr={config['nonceStr']}"
        f"&timestamp={config['timestamp']}&url={url}"
    )
    return config["signature"] == hashlib.sha1(text.encode()).hexdigest()


def test_signature_is_the_one_in_wechats_documentation() -> None:
    # JS-SDK说明文档, 附录1-JS-SDK使用权限签名算法: its worked example.
    ticket = (
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    )
    assert (
        client.signature(
            ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value"
        )
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )


def test_token_and_ticket_are_fetched_once_and_kept_until_near_expiry(wechat, monkeypatch):
    kept: dict[str, int] = {}
    real_set = cache.set

    def remember(key: str, value: Any, timeout: int) -> None:
        kept[key.split(":")[1]] = timeout
        real_set(key, value, timeout)

    monkeypatch.setattr(client.cache, "set", remember)
    url = "http://127.0.0.1:8000/a/1/?from=timeline"
    first = client.share_config(url)
    second = client.share_config(url)
    assert wechat.calls == ["/cgi-bin/token", "/cgi-bin/ticket/getticket"]
    assert kept == {"token": 7200 - client.MARGIN_SECONDS, "ticket": 7200 - client.MARGIN_SECONDS}
    assert first["appId"] == APP_ID
    assert signed(first, "TICKET-1", url) and signed(second, "TICKET-1", url)
    assert first["nonceStr"] != second["nonceStr"]


@pytest.mark.parametrize(
    "stale",
    [
        {"errcode": 40001, "errmsg": "invalid credential"},
        {"errcode": 42001, "errmsg": "access_token expired"},
    ],
)
def test_a_stale_token_is_fetched_anew_once(wechat, stale):
    cache.set(client._key("token"), "TOKEN-OLD", 3600)  # another process's, since revoked
    wechat.refuse["ticket"] = [stale]
    config = client.share_config("http://127.0.0.1:8000/a/1/")
    assert wechat.calls == [
        "/cgi-bin/ticket/getticket",
        "/cgi-bin/token",
        "/cgi-bin/ticket/getticket",
    ]
    assert signed(config, "TICKET-1", "http://127.0.0.1:8000/a/1/")
    assert cache.get(client._key("token")) == "TOKEN-1"


@pytest.mark.parametrize(
    "reply, message",
    [
        ({"errcode": -1, "errmsg": "system error"}, "-1 system error (busy: try again later)"),
        (b"<html>502 Bad Gateway</html>", "is not JSON"),
        ([1, 2], "is not an object"),
        ({"errcode": 0, "errmsg": "ok"}, "holds no ticket"),
    ],
)
def test_wechats_errors_are_reported_and_kept_briefly_not_the_ticket(wechat, reply, message):
    wechat.refuse["ticket"] = [reply]
    with pytest.raises(client.WechatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        client.jsapi_ticket()
    assert cache.get(client._key("ticket")) is None
    calls = len(wechat.calls)
    with pytest.raises(client.WechatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        client.jsapi_ticket()  # answered from the kept failure: WeChat is not asked
    assert len(wechat.calls) == calls
    cache.delete(client._key("failed"))  # FAILED_SECONDS later
    assert client.jsapi_ticket() == "TICKET-1"


def test_a_wrong_secret_is_not_retried(wechat, settings):
    settings.CITYDESK_WECHAT_APP_SECRET = "wrong"
    with pytest.raises(client.WechatError, match="40125 invalid appsecret"):
        client.jsapi_ticket()
    assert wechat.calls == ["/cgi-bin/token"]
    cache.delete(client._key("failed"))
    wechat.refuse["token"] = [{"errcode": 40001, "errmsg": "invalid credential"}]
    with pytest.raises(client.WechatError, match="40001"):
        client.jsapi_ticket()  # 40001 from the token itself: the secret, not a stale token
    assert wechat.calls == ["/cgi-bin/token", "/cgi-bin/token"]


def test_wechat_not_answering_is_an_error_not_a_hang(settings):
    settings.CITYDESK_WECHAT_APP_ID, settings.CITYDESK_WECHAT_APP_SECRET = APP_ID, SECRET
    settings.CITYDESK_WECHAT_API_URL = "http://127.0.0.1:9"  # discard: nothing listens
    cache.clear()
    with pytest.raises(client.WechatError, match="did not answer"):
        client.access_token()


# The signing endpoint and the page -----------------------------------------------------


def test_the_endpoint_signs_the_sites_own_pages_only(wechat, settings):
    settings.SITE_URL = "https://news.example.cn"
    settings.CSRF_TRUSTED_ORIGINS = ["https://news.example.cn", "https://m.example.cn"]
    browser = Client()
    url = "https://m.example.cn/a/5/?from=singlemessage#comments"
    response = browser.get("/wechat/jssdk/", {"url": url})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert signed(response.json(), "TICKET-1", url.split("#")[0])
    for bad in [
        "https://evil.example.com/a/5/",
        "javascript:alert(1)",
        "/a/5/",
        "https://news.example.cn/" + "x" * 3000,
    ]:
        refused = browser.get("/wechat/jssdk/", {"url": bad})
        assert refused.status_code == 400
        assert refused.json()["error"]
    assert browser.get("/wechat/jssdk/").status_code == 400


def test_the_endpoint_says_when_wechat_is_busy(wechat, settings):
    settings.SITE_URL = "https://news.example.cn"
    wechat.refuse["ticket"] = [{"errcode": -1, "errmsg": "system error"}]
    response = Client().get("/wechat/jssdk/", {"url": "https://news.example.cn/a/1/"})
    assert response.status_code == 503
    assert response.json() == {"error": "微信接口暂时不可用，请稍后再试"}


@pytest.mark.django_db
def test_article_pages_carry_the_script_only_when_an_account_is_set(settings):
    article = actions.create_article(
        ArticleData(
            title="太湖蓝藻监测日报",
            body=[{"type": "paragraph", "text": "今日水质良好。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )
    settings.CITYDESK_WECHAT_APP_ID = settings.CITYDESK_WECHAT_APP_SECRET = ""
    plain = Client().get(article.get_absolute_url()).content.decode()
    assert "wechat/share.js" not in plain and "jweixin" not in plain
    assert 'property="og:title" content="太湖蓝藻监测日报"' in plain
    assert Client().get("/wechat/jssdk/", {"url": settings.SITE_URL + "/"}).status_code == 404

    settings.CITYDESK_WECHAT_APP_ID, settings.CITYDESK_WECHAT_APP_SECRET = APP_ID, SECRET
    page = Client().get(article.get_absolute_url()).content.decode()
    assert 'data-sdk="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"' in page
    assert 'data-config="/wechat/jssdk/"' in page
    assert 'property="og:title" content="太湖蓝藻监测日报"' in page
