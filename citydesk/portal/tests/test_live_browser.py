"""A reader of a live article in Chromium: a new update shows within 5 s without a
reload; without JavaScript the page frames the updates, so a reload shows every one."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.actions import live as live_actions
from citydesk.content.models import Article
from citydesk.core.testing import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article():
    article = actions.create_article(
        ArticleData(
            title="市人代会开幕图文直播",
            body=[{"type": "paragraph", "text": "大会今天上午开幕。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )
    live_actions.set_live_coverage(article, starts_at=timezone.now() - timedelta(minutes=10))
    live_actions.post_live_update(article, text="代表们陆续进入会场。")
    return article


def test_a_new_update_reaches_the_open_page_within_five_seconds(article, live_server):
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        documents: list[str] = []
        page.on(
            "request", lambda r: documents.append(r.url) if r.resource_type == "document" else None
        )
        page.goto(live_server.url + article.get_absolute_url())
        page.get_by_text("代表们陆续进入会场。").wait_for()
        assert page.locator("[data-live-state]").inner_text() == "直播中"

        live_actions.post_live_update(article, text="大会开始第一项议程。")
        posted = time.monotonic()
        page.get_by_text("大会开始第一项议程。").wait_for(timeout=5000)
        assert time.monotonic() - posted < 5
        assert len(documents) == 1  # no reload

        live_actions.end_live_coverage(Article.objects.get(pk=article.pk))
        page.locator("[data-live-state]", has_text="已结束").wait_for(timeout=5000)


def test_without_javascript_a_reload_shows_every_update(article, live_server):
    with chromium() as browser:
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(live_server.url + article.get_absolute_url())
        frame = page.frame_locator("iframe.live-frame")
        frame.get_by_text("代表们陆续进入会场。").wait_for()
        live_actions.post_live_update(article, text="会议听取政府工作报告。")
        page.reload()
        frame = page.frame_locator("iframe.live-frame")
        frame.get_by_text("会议听取政府工作报告。").wait_for(timeout=5000)
        frame.get_by_text("代表们陆续进入会场。").wait_for()
