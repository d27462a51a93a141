"""Content changes are announced after commit, with the state before and after."""

import pytest

from citydesk.content import actions, signals
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    events: list[dict] = []

    def on_article(sender, **kw):
        kw.pop("signal")
        events.append({"name": "article", **kw})

    def on_related(sender, **kw):
        kw.pop("signal")
        events.append({"name": "related", "model": sender.__name__, **kw})

    signals.article_changed.connect(on_article)
    signals.related_changed.connect(on_related)
    yield events
    signals.article_changed.disconnect(on_article)
    signals.related_changed.disconnect(on_related)


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
