"""关怀版 in headless Chromium at phone size: the switch, remembered; reading sizes of
18 px and more with a size control; 44 px targets; no motion; 朗读 in zh-CN; and all of
it on the same cached page, without asking the server again."""

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.testing import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The sizes of every text and every target a reader sees, and the motion left.
MEASURE = """() => {
  const visible = el => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  const all = selector => [...document.querySelectorAll(selector)].filter(visible);
  const texts = all("main p, main li a, main time, main h3, .care-tools button")
    .map(el => parseFloat(getComputedStyle(el).fontSize));
  const targets = all("main a, main button, .channels a, .care-tools button")
    .filter(el => !el.closest(".article-body p"))  // links inside running text
    .map(el => [el.textContent.trim().slice(0, 12), el.getBoundingClientRect().height]);
  const moving = [...document.querySelectorAll("*")].filter(el => {
    const s = getComputedStyle(el);
    return s.animationName !== "none" || parseFloat(s.transitionDuration) > 0; }).length;
  return {care: document.documentElement.classList.contains("care"),
          smallest: Math.min(...texts), body: parseFloat(getComputedStyle(document.body).fontSize),
          short: targets.filter(t => t[1] < 44), moving};
}"""

SPEECH = """window.__spoken = []; window.__cancelled = 0;
Object.defineProperty(window, "speechSynthesis", {value: {
  speak(u) { window.__spoken.push({text: u.text, lang: u.lang}); },
  cancel() { window.__cancelled++; }, getVoices() { return []; }}});"""


@pytest.fixture
def article():
    for n in range(4):
        actions.create_article(
            ArticleData(
                title=f"社区养老服务站第{n + 1}站启用",
                body=[{"type": "paragraph", "text": "服务站提供助餐。"}],
                channels=["suzhou"],
            ),
            status=Article.Status.PUBLISHED,
        )
    return actions.create_article(
        ArticleData(
            title="社区食堂开进老小区",
            summary="老人在家门口吃上热饭。",
            body=[
                {
                    "type": "paragraph",
                    "text": "今天起，三个老小区的社区食堂开门营业。午餐十二元一份！",
                },
                {"type": "paragraph", "text": "七十岁以上老人还可以享受助餐补贴。"},
            ],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )


@pytest.fixture
def page():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        context.add_init_script(SPEECH)
        yield context.new_page()


def test_the_switch_gives_large_type_big_targets_and_no_motion_and_is_remembered(
    article, page, live_server
):
    documents: list[str] = []
    page.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    page.goto(live_server.url + "/")
    standard = page.evaluate(MEASURE)
    assert not standard["care"] and standard["body"] == 17

    page.get_by_role("button", name="关怀版", exact=True).click()
    care = page.evaluate(MEASURE)
    assert care["care"]
    assert care["smallest"] >= 18 and care["body"] >= 18
    assert care["short"] == []
    assert care["moving"] == 0
    assert documents == [live_server.url + "/"]  # the same page: no request, no render

    page.get_by_role("button", name="字号放大").click()
    assert page.evaluate(MEASURE)["body"] > care["body"]
    page.reload()
    again = page.evaluate(MEASURE)
    assert again["care"] and again["body"] > care["body"]  # remembered, size and all
    assert page.get_by_role("button", name="关怀版", exact=True).is_hidden()

    page.get_by_role("button", name="退出关怀版").click()
    page.reload()
    after = page.evaluate(MEASURE)
    assert (after["care"], after["body"], after["smallest"]) == (False, 17, standard["smallest"])


def test_read_aloud_speaks_the_article_in_chinese(article, page, live_server):
    page.goto(live_server.url + article.get_absolute_url())
    assert page.get_by_role("button", name="朗读").is_hidden()  # only in 关怀版
    page.get_by_role("button", name="关怀版", exact=True).click()
    care = page.evaluate(MEASURE)
    assert care["smallest"] >= 18 and care["short"] == [] and care["moving"] == 0

    page.get_by_role("button", name="朗读").click()
    spoken = page.evaluate("() => window.__spoken")
    assert {s["lang"] for s in spoken} == {"zh-CN"}
    assert [s["text"] for s in spoken][:3] == [
        "社区食堂开进老小区",
        "老人在家门口吃上热饭。",
        "今天起，三个老小区的社区食堂开门营业。",
    ]
    assert "七十岁以上老人还可以享受助餐补贴。" in [s["text"] for s in spoken]
    stop = page.get_by_role("button", name="停止朗读")
    assert stop.get_attribute("aria-pressed") == "true"
    stop.click()
    assert page.evaluate("() => window.__cancelled") >= 2
    assert page.get_by_role("button", name="朗读").get_attribute("aria-pressed") == "false"


def test_a_link_ending_in_care_opens_the_page_in_care_mode_and_it_is_kept(
    article, page, live_server
):
    page.goto(live_server.url + article.get_absolute_url() + "#care")
    assert page.evaluate(MEASURE)["care"]
    page.goto(live_server.url + "/")  # no #care: remembered from the link
    assert page.evaluate(MEASURE)["care"]
