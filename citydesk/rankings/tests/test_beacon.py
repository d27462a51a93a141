"""The view beacon through Django (as behind nginx): what counts and what does not."""

from typing import Any

import pytest
from django.test import Client, override_settings

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.rankings import beacon
from citydesk.rankings.backends import get_backend
from citydesk.rankings.models import Seen

READER: dict[str, Any] = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile"}


def make(status: str = Article.Status.PUBLISHED) -> Article:
    return actions.create_article(
        ArticleData(title="古城保护", body=[], channels=["suzhou"]), status=status
    )


def views(a: Article) -> int:
    return get_backend().views([a.pk], "day").get(a.pk, 0)


def post(client: Client, path: str, **extra) -> int:
    return client.post(path, **{**READER, **extra}).status_code


@pytest.fixture
def article(db) -> Article:
    return make()


def test_a_view_counts_once_per_reader(client, article):
    url = f"/beacon/view/{article.pk}/"
    response = Client(enforce_csrf_checks=True).post(url, **READER)  # no token on a cached page
    assert response.status_code == 204 and response.content == b""
    assert "no-store" in response["Cache-Control"]
    assert post(client, url) == 204  # the same reader again: answered, not counted
    assert views(article) == 1
    other = {"HTTP_USER_AGENT": READER["HTTP_USER_AGENT"], "REMOTE_ADDR": "10.0.0.2"}
    assert post(client, url, **other) == 204
    assert views(article) == 2


def test_no_address_is_stored(client, article):
    post(client, f"/beacon/view/{article.pk}/", REMOTE_ADDR="203.0.113.7")
    (seen,) = Seen.objects.values()
    # Only a 64-bit keyed hash and a time are kept: no column could hold the address.
    assert set(seen) == {"key", "counted_at"}
    assert all(isinstance(value, int) for value in seen.values())
    assert -(2**63) <= seen["key"] < 2**63
    # Keyed: the same parts hash to another key under another SECRET_KEY.
    parts = ("203.0.113", "0", str(article.pk))
    ours = beacon.Receiver()._hash(*parts)
    with override_settings(SECRET_KEY="another secret key, for this test only"):
        assert beacon.Receiver()._hash(*parts) != ours


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Baiduspider/2.0)"},
        {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
        {"HTTP_USER_AGENT": "Mozilla/5.0 HeadlessChrome/130.0"},
        {"HTTP_USER_AGENT": ""},
        {**READER, "HTTP_SEC_PURPOSE": "prefetch;prerender"},
        {**READER, "HTTP_PURPOSE": "prefetch"},
        {**READER, "HTTP_X_MOZ": "prefetch"},
    ],
    ids=["baidu", "google", "headless", "no agent", "sec-purpose", "purpose", "x-moz"],
)
def test_robots_and_prefetches_are_not_views(client, article, headers):
    assert client.post(f"/beacon/view/{article.pk}/", **headers).status_code == 204
    assert views(article) == 0


def test_a_client_is_rate_limited(client, article, monkeypatch):
    now = [1000.0]
    receiver = beacon.Receiver(clock=lambda: now[0])
    monkeypatch.setattr(beacon, "_receiver", receiver)
    answers = [post(client, f"/beacon/view/{article.pk}/") for _ in range(int(beacon.RATE_BURST))]
    assert set(answers) == {204}
    assert post(client, f"/beacon/view/{article.pk}/") == 429
    # Per address, whatever the headers say.
    assert post(client, f"/beacon/view/{article.pk}/", HTTP_USER_AGENT="Mozilla/5.0 other") == 429
    now[0] += 5  # tokens come back at RATE_PER_SECOND
    assert post(client, f"/beacon/view/{article.pk}/") == 204
    # Another address is not held back.
    assert post(client, f"/beacon/view/{article.pk}/", REMOTE_ADDR="10.0.0.9") == 204


def flood(client: Client, article: Article, address: str, n: int = 1000) -> set[int]:
    """`n` beacons from one address, each with its own user agent and language."""
    answers = set()
    for i in range(n):
        headers: dict[str, Any] = {
            "HTTP_USER_AGENT": f"Mozilla/5.0 (Linux; Android {i % 14}; V{i}) Mobile Safari/{i}",
            "HTTP_ACCEPT_LANGUAGE": f"zh-CN,zh;q=0.{i % 10},en;q=0.{i % 7}",
            "REMOTE_ADDR": address,
        }
        answers.add(client.post(f"/beacon/view/{article.pk}/", **headers).status_code)
    return answers


def test_rotating_headers_from_one_address_adds_at_most_the_cap(client, db, monkeypatch, settings):
    now = [1000.0]
    monkeypatch.setattr(beacon, "_receiver", beacon.Receiver(clock=lambda: now[0]))
    leader, target = make(), make()
    for i in range(20):  # the leader: 20 real readers, the target 10
        for a in [leader] if i >= 10 else [leader, target]:
            post(client, f"/beacon/view/{a.pk}/", REMOTE_ADDR=f"198.51.100.{i}")
    top = [pk for pk, _ in get_backend().top("day")]
    assert top.index(leader.pk) < top.index(target.pk)

    answers = flood(client, target, "203.0.113.66")
    assert answers == {204, 429}  # the burst allowance, then the rate limit
    cap = settings.CITYDESK_VIEWS_PER_NETWORK
    assert 10 < views(target) <= 10 + cap
    # Slowly, within the rate limit, for the rest of the half hour: no more.
    for _ in range(50):
        now[0] += 30
        flood(client, target, "203.0.113.66", n=1)
    assert views(target) <= 10 + cap
    top = [pk for pk, _ in get_backend().top("day")]
    assert top.index(leader.pk) < top.index(target.pk)


def test_an_ipv6_subscriber_is_one_network(client, article, settings, monkeypatch):
    monkeypatch.setattr(beacon, "_receiver", beacon.Receiver())
    # A /64 is one subscriber's: rotating the low 64 bits changes nothing.
    for i in range(40):
        client.post(
            f"/beacon/view/{article.pk}/",
            HTTP_USER_AGENT=f"Mozilla/5.0 agent {i}",
            REMOTE_ADDR=f"2001:db8:1:2:{i:x}::1",
        )
    assert 1 <= views(article) <= settings.CITYDESK_VIEWS_PER_NETWORK
    # Another /64 is another subscriber.
    before = views(article)
    post(client, f"/beacon/view/{article.pk}/", REMOTE_ADDR="2001:db8:1:3::1")
    assert views(article) == before + 1


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/beacon/view/999999/", 404),
        ("/beacon/view/abc/", 404),
        ("/beacon/view/-1/", 404),
        ("/beacon/view/1.5/", 404),
        ("/beacon/view/" + "9" * 30 + "/", 404),
    ],
)
def test_malformed_beacons_get_a_4xx_and_change_nothing(client, article, path, status):
    assert post(client, path) == status
    assert Seen.objects.count() == 0 and get_backend().top("month") == []


@pytest.mark.parametrize("which", [Article.Status.DRAFT, Article.Status.RETRACTED])
def test_an_article_a_reader_cannot_see_gets_a_404(client, db, which):
    hidden = make(which)
    assert post(client, f"/beacon/view/{hidden.pk}/") == 404
    assert views(hidden) == 0


def test_a_huge_body_is_refused(client, article):
    body = b"x" * (beacon.MAX_BODY + 1)
    status = client.post(
        f"/beacon/view/{article.pk}/", body, content_type="application/octet-stream", **READER
    ).status_code
    assert status == 413 and views(article) == 0


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_post_only(client, article, method):
    response = getattr(client, method)(f"/beacon/view/{article.pk}/", **READER)
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert views(article) == 0


@pytest.mark.django_db(transaction=True)  # the batch thread writes on its own connection
def test_batched_views_reach_the_backend_and_none_is_lost_at_stop(settings):
    """With batching on, views wait in memory; `stop` (at exit, when the server stops)
    writes every one of them."""
    settings.CITYDESK_RANKINGS_BATCH_SECONDS = 3600  # never on its own during the test
    article = make()
    receiver = beacon.Receiver()
    channels = receiver.load_article(article.pk)
    for n in range(250):
        signals = beacon.Signals("POST", f"10.1.{n // 256}.{n % 256}", "Mozilla/5.0")
        assert receiver.accept(article.pk, signals, channels) == 204
    assert views(article) == 0 and len(receiver.pending) == 250
    receiver.stop()
    assert views(article) == 250 and receiver.pending == []
