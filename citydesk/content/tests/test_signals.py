"""Content changes are announced in their transaction, with the state before and after:
the announcement is the durable follow-up tasks it stores."""

import pytest
from django.apps import apps

from citydesk.content import actions, signals
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel
from citydesk.content.signals import ArticleState
from citydesk.core.testing import announced

pytestmark = pytest.mark.django_db


class Received:
    """Every article and related announcement stored since it was made, as events."""

    def __init__(self) -> None:
        self.skip = 0

    def events(self) -> list[dict]:
        events = [
            {
                "name": "article",
                "article_id": p["article_id"],
                "before": ArticleState.from_json(p["before"]),
                "after": ArticleState.from_json(p["after"]),
            }
            for p in announced(signals.article_changed)
        ] + [
            {
                "name": "related",
                "model": apps.get_model(p["model"]).__name__,
                "instance_id": p["instance_id"],
                "article_ids": p["article_ids"],
            }
            for p in announced(signals.related_changed)
        ]
        return events[self.skip :]

    def clear(self) -> None:
        self.skip += len(self.events())

    def __iter__(self):
        return iter(self.events())

    def __eq__(self, other: object) -> bool:
        return self.events() == other


@pytest.fixture
def received():
    return Received()


def create(**kw):
    data = ArticleData(title="运河新闻", body=[{"type": "paragraph", "text": "x"}], **kw)
    return actions.create_article(data, status=Article.Status.PUBLISHED)


def test_publish_unpublish_retract_announce_before_and_after(
    received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = create(
            channels=["suzhou"], credits=[("writer", "沈清")], responsible_editor="陆一"
        )
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_unpublish_article(article)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_article(article)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_retract_article(article)
    created, unpublished, published, retracted = received
    assert created["before"] is None and created["after"].live
    suzhou = Channel.objects.get(slug="suzhou").pk
    assert created["after"].channel_ids == {suzhou}
    assert len(created["after"].person_ids) == 2  # the writer and the 责编
    assert unpublished["before"].live and not unpublished["after"].live
    assert published["after"].live
    assert retracted["after"] is not None and not retracted["after"].live


def test_nothing_is_announced_when_the_transaction_rolls_back(
    received, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                create()
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert received == []


def test_person_profile_edit_names_the_articles_that_show_the_person(
    received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = create(credits=[("writer", "沈清")])
    person = article.credits.get().person
    received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.set_person_profile(person, bio="资深记者")
    assert received == [
        {
            "name": "related",
            "model": "Person",
            "instance_id": person.pk,
            "article_ids": [article.pk],
        }
    ]


def test_admin_edit_announces_the_old_channels_too(
    client, received, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("chief", password="x"))
    with django_capture_on_commit_callbacks(execute=True):
        article = create(channels=["suzhou"])
    received.clear()
    guonei = Channel.objects.get(slug="guonei").pk
    data = {
        "title": "运河新闻（更新）", "kind": "article", "status": "published",
        "body_text": "新正文", "channels": [guonei],
        "published_at_0": "2026-01-01", "published_at_1": "08:00:00",
        "credits-TOTAL_FORMS": "0", "credits-INITIAL_FORMS": "0",
        "credits-MIN_NUM_FORMS": "0", "credits-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(f"/admin/content/article/{article.pk}/change/", data)
    assert resp.status_code == 302, resp.content.decode()[:1000]
    (event,) = received
    assert event["before"].channel_ids == {Channel.objects.get(slug="suzhou").pk}
    assert event["after"].channel_ids == {guonei}
