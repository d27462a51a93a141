"""A reader in headless Chromium: home → channel → page 2 of an article."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core.testing import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def paragraph(text: str) -> dict[str, str]:
    return {"type": "paragraph", "text": text}


@pytest.fixture
def site():
    now = timezone.now()
    for n in range(6):
        actions.create_article(
            ArticleData(
                title=f"城事短讯第{n + 1}条",
                body=[paragraph(f"短讯正文{n + 1}。")],
                channels=["suzhou"],
                published_at=now - timedelta(hours=n + 2),
            ),
            status=Article.Status.PUBLISHED,
        )
    return actions.create_article(
        ArticleData(
            title="运河十景修缮全记录",
            body=[
                paragraph("第一页：修缮工程从春天开始。"),
                {"type": "heading", "text": "石桥与驳岸"},
                {"type": "pagebreak"},
                paragraph("第二页：驳岸的条石逐块编号。"),
                {"type": "pagebreak"},
                paragraph("第三页：夜景照明同步完工。"),
            ],
            channels=["suzhou"],
            source="名城苏州",
            organization="苏报融媒",
            credits=[("writer", "沈清"), ("photographer", "顾远")],
            responsible_editor="陆一帆",
            published_at=now - timedelta(minutes=30),
        ),
        status=Article.Status.PUBLISHED,
    )


@pytest.fixture
def page():
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        yield context.new_page()


def test_reader_goes_home_to_channel_to_article_page_two(site, page, live_server):
    page.goto(live_server.url + "/")
    assert "名城苏州" in page.title()
    page.locator("nav").get_by_role("link", name="苏州", exact=True).first.click()
    page.wait_for_url(re.compile(r"/suzhou/$"))
    assert page.locator("h1").first.inner_text().strip() == "苏州"

    page.get_by_role("link", name="运河十景修缮全记录").first.click()
    page.wait_for_url(re.compile(rf"/a/{site.pk}/$"))
    body = page.locator("body").inner_text()
    assert "第一页：修缮工程从春天开始。" in body
    assert "本篇文章共有3页" in body and "当前为第1页" in body
    assert "责编" in body and "陆一帆" in body
    assert "沈清" in body and "顾远" in body

    page.locator(".article-pages").get_by_role("link", name="2", exact=True).click()
    page.wait_for_url(re.compile(rf"/a/{site.pk}/2/$"))
    body = page.locator("body").inner_text()
    assert "第二页：驳岸的条石逐块编号。" in body
    assert "第一页：修缮工程从春天开始。" not in body
    assert "当前为第2页" in body
    # A phone screen: the article text fits the viewport, nothing scrolls sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_a_reader_searches_with_suggestions_under_the_security_policy(site, page, live_server):
    # The policy the front and nginx send is on Django's answers too: a script it refused
    # would fail this test (citydesk.core.testing.chromium watches for violations).
    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    box = page.locator("form.search-box input[name=q]").first
    box.fill("运河")
    suggestion = page.locator(".search-suggest a", has_text="运河十景修缮全记录").first
    suggestion.wait_for()
    box.fill("修缮记录")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    first = page.locator("main").get_by_role("link", name=re.compile("运河十景")).first
    assert "修缮" in first.inner_html() and "<mark>" in first.inner_html()
    first.click()
    page.wait_for_url(re.compile(rf"/a/{site.pk}/$"))
