"""Embargo: a piece that is not live opens only for its writer and those with the
`read_others` cell, through every newsroom route (editor, preview, history and its
comparisons, restore, the soft lock, the workflow's buttons). To any other reporter it
is a 404 that names nothing, and nothing changes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.newsroom import revisions

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def routes(article: Article) -> list[tuple[str, str]]:
    first, latest = article.revisions.order_by("version")[0], article.revisions.latest("version")
    pk = article.pk
    return [
        ("get", f"/newsroom/a/{pk}/edit/"),
        ("post", f"/newsroom/a/{pk}/edit/"),
        ("get", f"/newsroom/a/{pk}/preview/"),
        ("get", f"/newsroom/a/{pk}/preview/1/"),
        ("get", f"/newsroom/a/{pk}/history/"),
        ("get", f"/newsroom/a/{pk}/history/?left={first.pk}&right={latest.pk}"),
        ("post", f"/newsroom/a/{pk}/restore/{first.pk}/"),
        ("post", f"/newsroom/a/{pk}/lock/"),
        ("post", f"/newsroom/a/{pk}/submit/"),
    ]


@pytest.fixture
def secret(draft, people) -> Article:
    article = draft(by="reporter2")
    article.title = "未公开的独家稿件"
    revisions.save_text(
        people["reporter2"], article, {"title": article.title}, base_version=article.version
    )
    article.refresh_from_db()
    return article


def test_another_reporter_gets_404_on_every_route_and_changes_nothing(secret, people):
    client = logged_in(people["reporter"])
    before = (secret.version, secret.status, secret.revisions.count(), secret.transitions.count())
    for method, url in routes(secret):
        response = getattr(client, method)(url, {"title": "改掉", "release": ""})
        assert response.status_code == 404, (method, url, response.status_code)
        assert secret.title not in response.content.decode()
    secret.refresh_from_db()
    after = (secret.version, secret.status, secret.revisions.count(), secret.transitions.count())
    assert after == before


@pytest.mark.parametrize("who", ["reporter2", "editor", "chief", "admin"])
def test_the_writer_and_the_editors_read_it(secret, people, who):
    client = logged_in(people[who])
    for method, url in routes(secret):
        if method == "get":
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            assert secret.title in response.content.decode(), (who, url)


def test_a_live_piece_is_readable_by_every_reporter(secret, people):
    Article.objects.filter(pk=secret.pk).update(
        status=Article.Status.PUBLISHED, published_at=timezone.now()
    )
    client = logged_in(people["reporter"])
    for url in [f"/newsroom/a/{secret.pk}/preview/", f"/newsroom/a/{secret.pk}/history/"]:
        assert client.get(url).status_code == 200, url


def test_the_dashboard_lists_only_ones_own_scheduled_pieces_to_a_reporter(secret, people):
    Article.objects.filter(pk=secret.pk).update(
        status=Article.Status.SCHEDULED, published_at=timezone.now() + timedelta(days=1)
    )
    reporter = logged_in(people["reporter"]).get("/newsroom/").content.decode()
    assert secret.title not in reporter
    for who in ("reporter2", "editor", "chief"):
        assert secret.title in logged_in(people[who]).get("/newsroom/").content.decode(), who
