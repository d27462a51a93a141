"""图文直播 for readers: the updates fragment (cached until an update purges it, and it
alone), the page around it, LiveBlogPosting, and what the door refuses."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import html as lxml_html

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.actions import live as live_actions
from citydesk.content.models import Article, LiveUpdate
from citydesk.publishing.cache import PageCache

pytestmark = pytest.mark.django_db(transaction=True)


def live_article(**times):
    article = actions.create_article(
        ArticleData(
            title="2026苏州马拉松图文直播",
            summary="三万名跑者从太湖边出发。",
            body=[{"type": "paragraph", "text": "比赛七点三十分鸣枪。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
    )
    now = timezone.now()
    times = {"starts_at": now - timedelta(minutes=30), **times}
    live_actions.set_live_coverage(article, **times)
    return article


def cached(cache: PageCache, url: str) -> bool:
    path = cache.path_for(url)
    return path is not None and path.exists()


def fragment_url(article: Article) -> str:
    return f"/live/{article.pk}/"


def updates_in(page: bytes) -> list[str]:
    tree = lxml_html.fromstring(page)
    return [
        " ".join(li.xpath(".//p[@class='live-text']//text()"))
        for li in tree.xpath("//li[contains(@class, 'live-update')]")
    ]


def test_readers_get_updates_pinned_first_then_newest(settings, tmp_path):
    article = live_article()
    first = live_actions.post_live_update(article, text="第一梯队通过十公里。", author="赵记者")
    live_actions.post_live_update(article, text="补给站秩序良好。")
    live_actions.post_live_update(article, text="领跑者冲线！")
    live_actions.pin_live_update(first)
    response = Client().get(fragment_url(article))
    assert response.status_code == 200
    assert updates_in(response.content) == [
        "第一梯队通过十公里。",
        "领跑者冲线！",
        "补给站秩序良好。",
    ]
    feed = lxml_html.fromstring(response.content).xpath("//div[@class='live-feed']")[0]
    assert (feed.get("data-state"), feed.get("data-poll")) == ("live", "3")
    assert "赵记者" in response.content.decode()


def test_an_update_purges_the_fragment_and_never_the_page():
    article = live_article()
    cache = PageCache()
    browser = Client()
    page = article.get_absolute_url()
    assert (
        browser.get(page).status_code == 200
        and browser.get(fragment_url(article)).status_code == 200
    )
    assert cached(cache, page) and cached(cache, fragment_url(article))

    live_actions.post_live_update(article, text="冲线时间两小时零八分。")
    assert not cached(cache, fragment_url(article))
    assert cached(cache, page)
    assert updates_in(browser.get(fragment_url(article)).content) == ["冲线时间两小时零八分。"]

    update = LiveUpdate.objects.get()
    browser.get(fragment_url(article))
    live_actions.pin_live_update(update)
    assert not cached(cache, fragment_url(article)) and cached(cache, page)
    # An edit or a deletion takes the old text off the page's JSON-LD too.
    for change in (
        lambda: live_actions.edit_live_update(update, text="冲线时间两小时零七分。"),
        lambda: live_actions.delete_live_update(update),
    ):
        browser.get(fragment_url(article))
        browser.get(page)
        change()
        assert not cached(cache, fragment_url(article)) and not cached(cache, page)
    assert updates_in(browser.get(fragment_url(article)).content) == []
    assert "冲线时间" not in browser.get(page).content.decode()


def test_ending_or_retracting_purges_the_fragment():
    article = live_article()
    live_actions.post_live_update(article, text="第一条。")
    cache, browser = PageCache(), Client()
    browser.get(fragment_url(article))
    live_actions.end_live_coverage(article)
    assert not cached(cache, fragment_url(article))
    feed = lxml_html.fromstring(browser.get(fragment_url(article)).content)
    assert feed.xpath("//div[@class='live-feed']")[0].get("data-state") == "ended"
    assert cached(cache, fragment_url(article))
    actions.do_retract_article(Article.objects.get(pk=article.pk))
    assert not cached(cache, fragment_url(article))
    assert browser.get(fragment_url(article)).status_code == 404


def test_the_page_polls_and_frames_the_fragment_and_says_liveblogposting():
    article = live_article(ends_at=timezone.now() + timedelta(hours=3))
    live_actions.post_live_update(article, text="起点气温十二度。")
    page = Client().get(article.get_absolute_url()).content.decode()
    tree = lxml_html.fromstring(page)
    section = tree.xpath("//section[@class='live']")[0]
    assert section.get("data-live") == fragment_url(article)
    assert "/static/portal/live.js" in page
    assert f'<iframe class="live-frame" src="{fragment_url(article)}"' in page  # in <noscript>
    data = json.loads(tree.xpath("//script[@type='application/ld+json']")[0].text)
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageStartTime"] and data["coverageEndTime"]
    assert [u["articleBody"] for u in data["liveBlogUpdate"]] == ["起点气温十二度。"]
    assert data["liveBlogUpdate"][0]["@type"] == "BlogPosting"
    # An ordinary article stays a NewsArticle with no live section.
    plain = actions.create_article(
        ArticleData(
            title="普通稿件", body=[{"type": "paragraph", "text": "正文。"}], channels=["suzhou"]
        ),
        status=Article.Status.PUBLISHED,
    )
    other = Client().get(plain.get_absolute_url()).content.decode()
    assert 'section class="live"' not in other and '"@type":"NewsArticle"' in other
    assert Client().get(fragment_url(plain)).status_code == 404


def test_the_door_refuses_what_a_live_article_cannot_take():
    ended = live_article(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(live_actions.LiveRefused, match="直播已结束"):
        live_actions.post_live_update(ended, text="迟到的更新")
    article = live_article()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"text": "长" * 2001}, "最多 2000 字"),
        ({"text": "   "}, "文字更新不能为空"),
        ({"kind": "picture", "text": "无图"}, "须附一张图片"),
        ({"kind": "video", "video_url": "javascript:alert(1)"}, "视频地址"),
        ({"kind": "poll", "text": "x"}, "未知的更新类型"),
    ]
    for kwargs, message in cases:
        with pytest.raises(live_actions.LiveRefused, match=message):
            live_actions.post_live_update(article, **kwargs)
    with pytest.raises(live_actions.LiveRefused, match="不能晚于现在"):
        live_actions.post_live_update(
            article, text="来自未来", posted_at=timezone.now() + timedelta(minutes=5)
        )
    actions.do_retract_article(Article.objects.get(pk=article.pk))
    with pytest.raises(live_actions.LiveRefused, match="已撤稿"):
        live_actions.post_live_update(Article.objects.get(pk=article.pk), text="撤稿后")
    with pytest.raises(live_actions.LiveRefused, match="结束时间须晚于开始时间"):
        live_actions.set_live_coverage(
            article, starts_at=timezone.now(), ends_at=timezone.now() - timedelta(minutes=1)
        )
    assert LiveUpdate.objects.count() == 0


def test_hostile_text_is_shown_as_text():
    article = live_article()
    live_actions.post_live_update(
        article, text='<script>alert(1)</script><img src=x onerror="alert(2)">'
    )
    body = Client().get(fragment_url(article)).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
