"""今日推荐: editors' picks with an expiry, topped up by recency, views and channels."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core import fresh
from citydesk.rankings import actions as rankings
from citydesk.recommend import queries
from citydesk.recommend.actions import do_pick_article

pytestmark = pytest.mark.django_db


def make(title: str, *, channel: str = "suzhou", hours_ago: float = 1, **kw) -> Article:
    return actions.create_article(
        ArticleData(
            title=title,
            body=[],
            channels=[channel],
            published_at=timezone.now() - timedelta(hours=hours_ago),
            **kw,
        ),
        status=Article.Status.PUBLISHED,
    )


def test_editors_picks_come_first_in_their_order_until_they_expire():
    fresh_story = make("刚发布", hours_ago=0.1)
    first, second, expired = (
        make("编辑首推", hours_ago=50),
        make("编辑次推", hours_ago=60),
        make("过期"),
    )
    do_pick_article(second, position=2)
    do_pick_article(first, position=1)
    pick = do_pick_article(expired, until=timezone.now() + timedelta(minutes=5))
    pick.expires_at = timezone.now() - timedelta(seconds=1)
    pick.save()
    assert queries.picks(3) == [first, second, fresh_story]


def test_a_pick_in_the_past_is_refused():
    with pytest.raises(ValueError, match="已经过去"):
        do_pick_article(make("一篇"), until=timezone.now() - timedelta(minutes=1))


def test_a_pick_taken_down_leaves_at_once_even_while_remembered():
    story = make("推荐稿")
    do_pick_article(story)
    assert queries.picks(5) == [story]
    actions.do_unpublish_article(story)
    assert queries.picks(5) == []  # the choice is remembered; liveness is not
    retracted = make("撤稿")
    fresh.forget()
    do_pick_article(retracted)
    actions.do_retract_article(retracted)
    assert retracted not in queries.picks(5)


def test_top_up_weighs_recency_and_readers():
    read = make("两天前但读者多", hours_ago=40)
    make("刚发布没人读", hours_ago=0.5)
    now = time.time()
    rankings.record_views(read, [now] * 100, now=now)
    assert queries.picks(1) == [read]


def test_top_up_mixes_channels():
    local = [make(f"苏州{n}", hours_ago=n + 0.1) for n in range(5)]
    national = make("国内", channel="guonei", hours_ago=6)  # older than every local one
    chosen = queries.picks(3)
    assert national in chosen and chosen[0] == local[0]


def test_the_editors_flag_lifts_an_article():
    flagged = make("编辑推荐", hours_ago=30, is_recommended=True)
    make("新稿", hours_ago=0.1)
    assert queries.picks(1) == [flagged]


def test_never_an_unpublished_or_scheduled_article():
    draft = actions.create_article(ArticleData(title="草稿", body=[], channels=["suzhou"]))
    live = make("已发布")
    soon = make("定时", hours_ago=-2)  # published_at ahead: scheduled
    assert soon.status == Article.Status.SCHEDULED
    assert queries.picks(10) == [live]
    assert draft not in queries.picks(10)
