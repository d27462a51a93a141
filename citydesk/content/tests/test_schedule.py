"""定时发布: scheduling an article, and publishing what is due (the worker's action)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from citydesk.content import actions, queries, signals
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.content.signals import ArticleState
from citydesk.core.testing import announced

pytestmark = pytest.mark.django_db


class Announced:
    """The article changes stored as follow-ups since the last clear()."""

    def __init__(self) -> None:
        self.skip = 0

    def events(self) -> list[dict]:
        return [
            {
                "article_id": p["article_id"],
                "before": ArticleState.from_json(p["before"]),
                "after": ArticleState.from_json(p["after"]),
            }
            for p in announced(signals.article_changed)
        ][self.skip :]

    def clear(self) -> None:
        self.skip += len(self.events())

    def __iter__(self):
        return iter(self.events())


@pytest.fixture(name="announced")
def announced_fixture():
    return Announced()


def draft(title: str = "运河灯会今晚开幕") -> Article:
    data = ArticleData(
        title=title, body=[{"type": "paragraph", "text": "灯会正文。"}], channels=["suzhou"]
    )
    return actions.create_article(data)


def test_a_scheduled_article_stays_off_the_site_and_the_change_is_announced(
    announced, django_capture_on_commit_callbacks
):
    article = draft()
    announced.clear()  # its creation
    at = timezone.now() + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_schedule_article(article, at)
    article.refresh_from_db()
    assert article.status == Article.Status.SCHEDULED
    assert article.published_at == at
    assert not article.is_live and article not in queries.live()
    assert queries.next_scheduled_at() == at
    [event] = announced
    assert event["article_id"] == article.pk
    assert not event["before"].live and not event["after"].live


def test_a_time_in_the_past_is_refused_in_chinese():
    article = draft()
    with pytest.raises(ValueError, match="已经过去"):
        actions.do_schedule_article(article, timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValueError, match="时区"):
        actions.do_schedule_article(article, datetime(2099, 1, 1, 10))  # naive: no tzinfo
    article.refresh_from_db()
    assert article.status == Article.Status.DRAFT


def test_publish_with_a_future_time_and_create_with_a_future_time_both_schedule():
    later = timezone.now() + timedelta(minutes=5)
    article = actions.do_publish_article(draft(), at=later)
    assert (article.status, article.published_at) == (Article.Status.SCHEDULED, later)
    created = actions.create_article(
        ArticleData(title="明日预告", body=[], published_at=later), status=Article.Status.PUBLISHED
    )
    assert created.status == Article.Status.SCHEDULED
    # A past time still backdates: that article is live at once.
    earlier = timezone.now() - timedelta(days=1)
    backdated = actions.do_publish_article(draft("旧闻补发"), at=earlier)
    assert backdated.status == Article.Status.PUBLISHED and backdated in queries.live()


def test_publishing_due_articles_keeps_the_scheduled_time_and_runs_once(
    announced, django_capture_on_commit_callbacks, monkeypatch
):
    now = timezone.now()
    clock = [now]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])  # every "now" is the test's
    first, second, later = draft("一"), draft("二"), draft("三")
    for article, seconds in [(second, 20), (first, 10), (later, 600)]:
        actions.do_schedule_article(article, now + timedelta(seconds=seconds))
    announced.clear()
    at_fire = clock[0] = now + timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.publish_due_articles(at_fire) == [first.pk, second.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.publish_due_articles(at_fire) == []
    assert [e["article_id"] for e in announced] == [first.pk, second.pk]
    assert all(not e["before"].live and e["after"].live for e in announced)
    first.refresh_from_db()
    assert first.status == Article.Status.PUBLISHED
    assert first.published_at == now + timedelta(seconds=10)  # the scheduled time
    later.refresh_from_db()
    assert later.status == Article.Status.SCHEDULED
    assert queries.next_scheduled_at() == now + timedelta(seconds=600)


def test_unpublished_and_draft_articles_are_never_published_by_the_schedule():
    past = timezone.now() - timedelta(hours=1)
    off = actions.do_unpublish_article(actions.do_publish_article(draft("撤下稿"), at=past))
    kept = draft("草稿")
    assert actions.publish_due_articles(timezone.now()) == []
    off.refresh_from_db()
    kept.refresh_from_db()
    assert (off.status, kept.status) == (Article.Status.UNPUBLISHED, Article.Status.DRAFT)


def test_publishing_a_scheduled_article_by_hand_publishes_it_now():
    article = actions.do_schedule_article(draft(), timezone.now() + timedelta(hours=1))
    actions.do_publish_article(article)
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at is not None and article.published_at <= timezone.now()
    assert article in queries.live()


# The admin schedules through the newsroom's workflow (定时发布): tested with it, in
# citydesk/newsroom/tests/test_admin.py.
