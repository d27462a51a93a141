"""The /hot/ pages (24 hours, 7 days, 30 days) and the 热点排行 box's reads."""

import time

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core import fresh
from citydesk.rankings import actions as rankings
from citydesk.rankings import queries

HOUR = 3600


def make(title: str, channel: str = "suzhou") -> Article:
    return actions.create_article(
        ArticleData(title=title, body=[], channels=[channel]), status=Article.Status.PUBLISHED
    )


@pytest.fixture
def ranked(db):
    now = time.time()
    today, this_week, this_month = make("今天最热"), make("本周最热"), make("本月最热")
    rankings.record_views(today, [now - 60] * 5, now=now)
    rankings.record_views(this_week, [now - 3 * 24 * HOUR] * 8, now=now)
    rankings.record_views(this_month, [now - 20 * 24 * HOUR] * 12, now=now)
    return today, this_week, this_month


def titles(html: str, *candidates: Article) -> list[str]:
    found = [(html.find(a.title), a.title) for a in candidates if a.title in html]
    return [t for _, t in sorted(found)]


def test_each_window_has_its_own_page_and_order(client, ranked):
    today, week, month = ranked
    day_html = client.get("/hot/").content.decode()
    assert titles(day_html, *ranked) == [today.title]
    assert titles(client.get("/hot/week/").content.decode(), *ranked) == [week.title, today.title]
    month_html = client.get("/hot/month/").content.decode()
    assert titles(month_html, *ranked) == [month.title, week.title, today.title]
    # Tabs link every window; the current one is marked.
    assert 'href="/hot/week/"' in day_html and 'href="/hot/month/"' in day_html
    assert 'aria-current="page">24小时<' in day_html


def test_the_pages_live_thirty_seconds(client, ranked):
    response = client.get("/hot/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=30"


def test_an_unknown_window_is_the_portals_404(client, db):
    response = client.get("/hot/year/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_an_article_taken_down_leaves_the_ranking_at_once(client, ranked):
    today = ranked[0]
    assert today.title in client.get("/fragments/hot/").content.decode()
    actions.do_retract_article(today)
    # No need to wait out the ranking's 30 s: the articles are read live each time.
    assert today.title not in client.get("/fragments/hot/").content.decode()
    assert today.title not in client.get("/hot/").content.decode()


def test_a_ranking_is_at_most_thirty_seconds_old_in_a_process(db, monkeypatch):
    a, b = make("甲"), make("乙")
    now = time.time()
    rankings.record_views(a, [now] * 2, now=now)
    assert [r.article for r in queries.hot()] == [a]
    rankings.record_views(b, [now] * 3, now=now)
    assert [r.article for r in queries.hot()] == [a]  # remembered ...
    clock = time.monotonic() + queries.FRESH_SECONDS + 1
    monkeypatch.setattr(fresh.time, "monotonic", lambda: clock)
    assert [(r.article, r.views) for r in queries.hot()] == [(b, 3), (a, 2)]  # ... not longer


def test_per_channel(db):
    now = time.time()
    local, national = make("本地"), make("全国", "guonei")
    rankings.record_views(local, [now], now=now)
    rankings.record_views(national, [now] * 4, now=now)
    suzhou = local.channels.get()
    assert [r.article for r in queries.hot(channel_id=suzhou.pk)] == [local]
