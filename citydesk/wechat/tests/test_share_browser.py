"""WeChat's browser opening an article: share.js loads the JS-SDK (a stand-in recording
its calls, served at the SDK's address), has the page's URL signed and fills the card."""

import copy

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.testing import chromium
from citydesk.wechat.tests.test_share import APP_ID, signed, wechat  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
FAKE_SDK = """window.wx = {calls: [],
  config: function (c) { this.calls.push(["config", c]); },
  ready: function (f) { f(); },
  updateAppMessageShareData: function (d) { this.calls.push(["friend", d]); },
  updateTimelineShareData: function (d) { this.calls.push(["timeline", d]); }};"""
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI"
)


@pytest.mark.parametrize("in_wechat", [True, False])
def test_wechats_browser_gets_a_signed_share_card(wechat, settings, live_server, in_wechat):  # noqa: F811
    settings.SITE_URL = live_server.url
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"] = ["'self'", "https://res.wx.qq.com"]
    settings.CONTENT_SECURITY_POLICY = policy
    article = actions.create_article(
        ArticleData(
            title="平江路夜游线路开通",
            summary="古街夜游新增三条线路。",
            body=[{"type": "paragraph", "text": "夜游线路今晚开通。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )
    with chromium() as browser:
        agent = WECHAT_UA if in_wechat else None
        page = browser.new_context(user_agent=agent, locale="zh-CN").new_page()
        sdk_requests: list[str] = []

        def fake_sdk(route) -> None:
            sdk_requests.append(route.request.url)
            route.fulfill(status=200, content_type="text/javascript", body=FAKE_SDK)

        page.route(SDK, fake_sdk)
        url = f"{live_server.url}{article.get_absolute_url()}?from=timeline"
        page.goto(url + "#top")
        if not in_wechat:
            page.wait_for_load_state("networkidle")
            assert sdk_requests == [] and page.evaluate("() => typeof window.wx") == "undefined"
            return
        page.wait_for_function("() => window.wx && window.wx.calls.length === 3")
        calls = dict(page.evaluate("() => window.wx.calls.map(c => [c[0], c[1]])"))
    assert calls["config"]["appId"] == APP_ID
    assert signed(calls["config"], "TICKET-1", url)  # the URL as opened, less its fragment
    assert calls["config"]["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
    assert calls["friend"]["title"] == "平江路夜游线路开通"
    assert calls["friend"]["desc"] == "古街夜游新增三条线路。"
    assert calls["friend"]["link"] == live_server.url + article.get_absolute_url()
    assert calls["timeline"]["title"] == "平江路夜游线路开通"
