"""The contract every ranking backend keeps; `test_backends.py` runs it against each one.

Time is the tests': views carry their own times and `record(..., now)` is told the hour,
so the windows can be walked forward without waiting for them.
"""

import itertools

import pytest

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel
from citydesk.rankings import beacon
from citydesk.rankings.backends.base import DEDUP_SECONDS, HOUR, RankingBackend, View

T0 = 1_780_002_000.0  # 2026-05-28 21:00 UTC, an hour's start
DAY = 24 * HOUR

_keys = itertools.count(1)


def article(title: str, channel: str = "suzhou") -> Article:
    return actions.create_article(
        ArticleData(title=title, body=[], channels=[channel]), status=Article.Status.PUBLISHED
    )


def view(a: Article, at: float, visitor: int | None = None) -> View:
    channels = beacon.receiver().load_article(a.pk) or ()
    return View(next(_keys) if visitor is None else visitor, a.pk, at, channels)


def views(a: Article, count: int, at: float) -> list[View]:
    return [view(a, at) for _ in range(count)]


@pytest.mark.django_db
class BackendContract:
    """Subclasses provide a `backend` fixture (an empty backend)."""

    def test_counts_one_view_a_visitor(self, backend: RankingBackend):
        a = article("一篇")
        assert backend.record(views(a, 3, T0 + 10), T0 + 10) == 3
        assert backend.views([a.pk], "day") == {a.pk: 3}

    def test_a_visitor_counts_again_only_after_thirty_minutes(self, backend: RankingBackend):
        a = article("一篇")
        batch = [view(a, T0 + 1, 7), view(a, T0 + 60, 7), view(a, T0 + DEDUP_SECONDS - 1, 7)]
        assert backend.record(batch, T0 + DEDUP_SECONDS) == 1
        assert backend.record([view(a, T0 + 1 + DEDUP_SECONDS, 7)], T0 + DEDUP_SECONDS + 2) == 1
        assert backend.views([a.pk], "month") == {a.pk: 2}

    def test_the_same_visitor_on_another_article_counts(self, backend: RankingBackend):
        a, b = article("一"), article("二")
        key_a, key_b = 11, 12  # the beacon hashes the article into the key
        assert backend.record([view(a, T0, key_a), view(b, T0, key_b)], T0) == 2

    def test_top_is_most_viewed_first_and_limited(self, backend: RankingBackend):
        few, many, most = article("少"), article("多"), article("最多")
        backend.record(views(few, 1, T0) + views(many, 5, T0) + views(most, 9, T0), T0)
        assert backend.top("day") == [(most.pk, 9), (many.pk, 5), (few.pk, 1)]
        assert backend.top("day", limit=2) == [(most.pk, 9), (many.pk, 5)]

    def test_windows_slide_by_the_hour(self, backend: RankingBackend):
        old, week, new = article("旧"), article("本周"), article("新")
        backend.record(views(old, 4, T0), T0)
        backend.record(views(week, 3, T0 + 3 * DAY), T0 + 3 * DAY)
        backend.record(views(new, 2, T0 + 10 * DAY), T0 + 10 * DAY)
        now = T0 + 10 * DAY + 1
        backend.record([], now)
        assert backend.top("day") == [(new.pk, 2)]
        assert backend.top("week") == [(new.pk, 2)]  # 7 days after the 3rd day: gone
        assert backend.top("month") == [(old.pk, 4), (week.pk, 3), (new.pk, 2)]
        # Twenty-three hours on, the new views are still in the last 24 hours; one more, not.
        backend.record([], T0 + 10 * DAY + 23 * HOUR)
        assert backend.top("day") == [(new.pk, 2)]
        backend.record([], T0 + 11 * DAY)
        assert backend.top("day") == []
        assert backend.top("month")[0] == (old.pk, 4)
        backend.record([], T0 + 30 * DAY)
        assert backend.top("month") == [(week.pk, 3), (new.pk, 2)]
        backend.record([], T0 + 90 * DAY)  # a long gap: every window empties
        assert backend.top("month") == []

    def test_an_hour_rolls_out_of_every_window_once(self, backend: RankingBackend):
        a = article("一篇")
        for hour in range(30):
            at = T0 + hour * HOUR
            backend.record(views(a, 1, at), at)
        assert backend.views([a.pk], "day") == {a.pk: 24}
        assert backend.views([a.pk], "week") == {a.pk: 30}

    def test_a_batch_with_an_older_clock_never_rolls_an_hour_out_twice(
        self, backend: RankingBackend
    ):
        a = article("一篇")
        for hour in range(26):
            at = T0 + hour * HOUR
            backend.record(views(a, 1, at), at)
        now = T0 + 25 * HOUR
        backend.record([], now - HOUR)  # another process, its clock an hour behind
        backend.record([], now)
        assert backend.views([a.pk], "day") == {a.pk: 24}

    def test_a_late_view_of_an_hour_already_rolled_out_stays_out(self, backend: RankingBackend):
        a = article("一篇")
        backend.record([], T0 + 30 * HOUR)
        backend.record(views(a, 1, T0), T0 + 2 * HOUR)  # a late batch, from a slow clock
        assert backend.views([a.pk], "day") == {}
        assert backend.views([a.pk], "month") == {a.pk: 1}

    def test_per_channel_and_its_children(self, backend: RankingBackend):
        suzhou, guonei = article("苏州新闻"), article("国内新闻", "guonei")
        parent = Channel.objects.get(slug="suzhou")
        child = Channel.objects.create(name="姑苏", slug="gusu", parent=parent, position=99)
        gusu = actions.create_article(
            ArticleData(title="姑苏新闻", body=[], channels=["gusu"]),
            status=Article.Status.PUBLISHED,
        )
        backend.record(views(suzhou, 2, T0) + views(guonei, 5, T0) + views(gusu, 1, T0), T0)
        assert backend.top("day", channel_id=parent.pk) == [(suzhou.pk, 2), (gusu.pk, 1)]
        assert backend.top("day", channel_id=child.pk) == [(gusu.pk, 1)]
        guonei_channel = Channel.objects.get(slug="guonei")
        assert backend.top("day", channel_id=guonei_channel.pk) == [(guonei.pk, 5)]

    def test_unknown_window_is_refused(self, backend: RankingBackend):
        with pytest.raises(ValueError, match="unknown ranking window"):
            backend.top("year")

    def test_clear_and_state(self, backend: RankingBackend):
        a = article("一篇")
        backend.record(views(a, 3, T0), T0)
        assert backend.state_size()["seen"] == 3
        backend.clear()
        assert backend.top("month") == [] and backend.views([a.pk], "day") == {}
