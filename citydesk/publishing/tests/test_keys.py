"""Surrogate keys: each cacheable response names the pages it belongs to, a change's purge
names the same keys, and a real Varnish (deploy/varnish, xkey) purges by them."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, Channel
from citydesk.core import metrics
from citydesk.core.testing import QuietHandler, free_port, http_server, require_service
from citydesk.portal.tests.served import fetch
from citydesk.publishing import affected, keys, varnish
from citydesk.publishing.backends.http import HttpPurgeBackend

PUBLISHED = Article.Status.PUBLISHED


def publish(title: str, minutes_ago: int, **fields) -> Article:
    fields.setdefault("body", [{"type": "paragraph", "text": f"{title}的正文。"}])
    data = ArticleData(
        title=title,
        channels=["suzhou"],
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
        **fields,
    )
    return actions.create_article(data, status=PUBLISHED)


@pytest.fixture
def stories(settings, tmp_path):
    """Eight live stories in 苏州 at five a page: its list has two pages; the first
    story has two pages of its own and a tag with a Chinese name."""
    settings.DATA_DIR = tmp_path / "var"
    settings.CITYDESK_PAGE_SIZE = 5
    first = publish(
        "两页的稿件",
        1,
        tags=["古城保护"],
        body=[
            {"type": "paragraph", "text": "第一页。"},
            {"type": "pagebreak"},
            {"type": "paragraph", "text": "第二页。"},
        ],
    )
    return [first, *(publish(f"快讯{n}", 10 + n) for n in range(7))]


def header_keys(response) -> set[str]:
    return set(response["Surrogate-Key"].split())


def page_keys(response) -> set[str]:
    """The keys that name pages (paths, html, all), not the objects shown."""
    return {k for k in header_keys(response) if ":" not in k}


@pytest.mark.django_db
def test_a_later_page_carries_its_first_pages_key(stories):
    client = Client()
    story = stories[0]
    response = client.get(f"/a/{story.pk}/2/")
    assert response.status_code == 200
    assert page_keys(response) == {f"/a/{story.pk}/", f"/a/{story.pk}/2/", "html", "all"}
    assert page_keys(client.get("/suzhou/page/2/")) == {
        "/suzhou/",
        "/suzhou/page/2/",
        "html",
        "all",
    }
    # A Chinese path as the header can carry it; the API's JSON is not an HTML page.
    tag = client.get(story.tags.get().get_absolute_url())
    assert page_keys(tag) == {"/tag/%E5%8F%A4%E5%9F%8E%E4%BF%9D%E6%8A%A4/", "html", "all"}
    assert page_keys(client.get(f"/api/v1/articles/{story.pk}/")) == {
        f"/api/v1/articles/{story.pk}/",
        "all",
    }
    # Not shared, so no keys: search, and an API answer for a query string.
    assert "Surrogate-Key" not in client.get("/search/?q=快讯")
    assert "Surrogate-Key" not in client.get("/api/v1/articles/?limit=3")


@pytest.mark.django_db
def test_each_response_names_the_objects_it_shows(stories, settings):
    client = Client()
    story, suzhou = stories[0], Channel.objects.get(slug="suzhou")
    tag = story.tags.get()
    nav = {
        f"channel:{pk}"
        for pk in Channel.objects.filter(in_nav=True, parent=None).values_list("pk", flat=True)
    }
    assert nav and f"channel:{suzhou.pk}" in nav

    def objects(path: str) -> set[str]:
        return header_keys(client.get(path)) - page_keys(client.get(path))

    # The article, its channel and tag, and the nav's channels, on each page of it.
    shown = {f"article:{story.pk}", f"tag:{tag.pk}"} | nav
    assert objects(f"/a/{story.pk}/") == shown == objects(f"/a/{story.pk}/2/")
    # Its document names what its ninjs names.
    assert objects(f"/api/v1/articles/{story.pk}/") == {
        f"article:{story.pk}", f"channel:{suzhou.pk}", f"tag:{tag.pk}",
    }  # fmt: skip
    # Each list page names the articles it lists, and no other.
    first = {f"article:{s.pk}" for s in stories[:5]}
    assert objects("/suzhou/") == first | nav
    assert objects("/suzhou/page/2/") == {f"article:{s.pk}" for s in stories[5:]} | nav
    assert objects(tag.get_absolute_url()) == {f"article:{story.pk}"} | nav
    # Past the limit a response names pages only (the rules reach it).
    settings.CITYDESK_PAGE_SIZE = 20
    keys.MAX_OBJECT_KEYS, limit = len(stories) + len(nav) - 1, keys.MAX_OBJECT_KEYS
    try:
        assert objects("/suzhou/") == set()
    finally:
        keys.MAX_OBJECT_KEYS = limit


@pytest.mark.django_db
def test_cloudflare_takes_a_comma_separated_list(stories, settings):
    settings.CITYDESK_SURROGATE_KEY_HEADER = "Cache-Tag"
    response = Client().get("/suzhou/page/2/")
    tags = response["Cache-Tag"].split(",")
    assert {"/suzhou/", "/suzhou/page/2/", "all", "html", f"article:{stories[5].pk}"} <= set(tags)
    assert " " not in response["Cache-Tag"]
    assert "Surrogate-Key" not in response
    settings.CITYDESK_SURROGATE_KEY_HEADER = ""
    assert "Cache-Tag" not in Client().get("/suzhou/")


@pytest.mark.django_db
def test_a_change_purges_the_keys_of_the_pages_it_made_stale(stories):
    story = stories[0]
    before = actions.article_state(story.pk)
    actions.edit_article(story, {"title": "改过的标题"})
    change = affected.for_article_change(before, actions.article_state(story.pk))
    found = set(keys.for_affected(change))
    # Its pages, its API document, and the lists that show its title (each list's first
    # page stands for all its pages).
    assert {f"/a/{story.pk}/", f"/api/v1/articles/{story.pk}/", "/", "/suzhou/"} <= found
    # And wherever else it is shown, by its own key.
    assert f"article:{story.pk}" in found and f"article:{stories[1].pk}" not in found
    assert f"/a/{stories[1].pk}/" not in found and keys.EVERY_HTML_PAGE not in found
    nav = affected.Affected(every_page=True)
    assert keys.for_affected(nav) == [keys.EVERY_HTML_PAGE]


def test_the_http_backend_sends_keys_in_batches_with_its_own_method_and_headers():
    seen: list[tuple[str, str, dict[str, str]]] = []

    class Fastly(QuietHandler):
        def do_POST(self) -> None:
            seen.append((self.command, self.path, dict(self.headers)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with http_server(Fastly) as base:
        backend = HttpPurgeBackend(
            {
                "SERVERS": [f"{base}/service/abc/purge"],
                "KEY_HEADER": "Surrogate-Key",
                "METHOD": "POST",
                "HEADERS": {"Fastly-Key": "secret"},
            }
        )
        assert backend.by_key
        many = [f"/a/{n}/" for n in range(1000)]
        backend.purge_keys(many)
    assert {method for method, _, _ in seen} == {"POST"}
    assert {path for _, path, _ in seen} == {"/service/abc/purge"}
    assert all(headers["Fastly-Key"] == "secret" for _, _, headers in seen)
    sent = [headers["Surrogate-Key"] for _, _, headers in seen]
    assert len(sent) > 1 and all(len(batch) <= 4000 for batch in sent)
    assert [k for batch in sent for k in batch.split(" ")] == many


# A real Varnish -------------------------------------------------------------------------


@pytest.fixture
def varnish_front(live_server, tmp_path, settings):
    """varnishd with deploy/varnish's VCL in front of the live server, purged by key;
    the app's own page cache off (Varnish is the cache tier)."""
    require_service(
        varnish.varnishd_binary() is not None and varnish.xkey_available(),
        "varnish with xkey is not installed (apt-get install varnish varnish-modules)",
    )
    port = free_port()
    vcl = varnish.render([(live_server.thread.host, live_server.thread.port)])
    with varnish.running_varnish(tmp_path / "varnish", vcl, port) as url:
        settings.CITYDESK_PAGE_CACHE = False
        settings.PURGE_BACKENDS = [
            {
                "BACKEND": "citydesk.publishing.backends.http.HttpPurgeBackend",
                "OPTIONS": {"SERVERS": [url], "KEY_HEADER": "xkey-purge"},
            }
        ]
        yield port


def cached(port: int, path: str) -> str:
    """What Varnish says of `path` on a second request: HIT when it keeps it."""
    fetch(port, path)
    response, _ = fetch(port, path)
    return response.getheader("X-Cache")


@pytest.mark.django_db(transaction=True)
def test_varnish_purges_exactly_the_stale_pages_by_key(varnish_front, stories):
    port = varnish_front
    story, other = stories[0], stories[7]
    paths = [
        f"/a/{story.pk}/",
        f"/a/{story.pk}/2/",
        f"/a/{other.pk}/",
        "/suzhou/",
        "/suzhou/page/2/",
        f"/api/v1/articles/{story.pk}/",
        f"/api/v1/articles/{other.pk}/",
    ]
    for path in paths:
        assert cached(port, path) == "HIT", path
    response, _ = fetch(port, f"/a/{story.pk}/")
    assert response.getheader("Surrogate-Key") is None  # the keys stay in Varnish

    actions.edit_article(Article.objects.get(pk=story.pk), {"title": "改过的标题"})
    # The purge ran before the edit returned: the very next request is rendered afresh.
    response, body = fetch(port, f"/a/{story.pk}/")
    assert "改过的标题" in body.decode() and response.getheader("X-Cache") == "MISS"
    # Every page of it, its API document and both pages of its list went; the pages of
    # an article it does not show stayed.
    for path in paths[1:2] + paths[3:6]:
        response, _ = fetch(port, path)
        assert response.getheader("X-Cache") == "MISS", path
    for path in (paths[2], paths[6]):
        response, _ = fetch(port, path)
        assert response.getheader("X-Cache") == "HIT", path


@pytest.mark.django_db(transaction=True)
def test_varnish_purges_every_response_that_shows_an_object(varnish_front, stories):
    port = varnish_front
    story, last = stories[0], stories[7]
    shows = [
        "/",
        "/suzhou/",
        f"/a/{story.pk}/",
        f"/a/{story.pk}/2/",
        f"/api/v1/articles/{story.pk}/",
    ]
    others = ["/suzhou/page/2/", f"/a/{last.pk}/", f"/api/v1/articles/{last.pk}/"]
    for path in shows + others:
        assert cached(port, path) == "HIT", path
    HttpPurgeBackend(settings_servers()).purge_keys([f"article:{story.pk}"])
    for path in shows:
        response, _ = fetch(port, path)
        assert response.getheader("X-Cache") == "MISS", path
    for path in others:
        response, _ = fetch(port, path)
        assert response.getheader("X-Cache") == "HIT", path


def settings_servers() -> dict:
    from django.conf import settings

    return settings.PURGE_BACKENDS[0]["OPTIONS"]


@pytest.mark.django_db(transaction=True)
def test_the_keys_are_purged_again_once_no_older_render_can_be_under_way(varnish_front, stories):
    """A render begun before a change and finished after its purge would stay in Varnish
    for a day: the worker purges the same keys again REPURGE_AFTER later."""
    from django_tasks_db.models import DBTaskResult

    from citydesk.publishing import tasks

    port = varnish_front
    story = stories[0]
    before = timezone.now()
    actions.edit_article(Article.objects.get(pk=story.pk), {"title": "改过的标题"})
    again = DBTaskResult.objects.get(
        task_path=tasks.purge_keys_again.module_path, enqueued_at__gte=before
    )
    assert again.status == "READY"  # left to the worker, which takes it when it is due
    delay = (again.run_after - before).total_seconds()
    assert tasks.REPURGE_AFTER.total_seconds() <= delay < tasks.REPURGE_AFTER.total_seconds() + 5
    purged = again.args_kwargs["args"][0]
    assert f"/a/{story.pk}/" in purged and "/suzhou/" in purged
    # Whatever Varnish took in meanwhile goes.
    assert cached(port, f"/a/{story.pk}/") == "HIT"
    counted = metrics.PURGED_KEYS.labels("ok")._value.get()
    assert tasks.purge_keys_again.call(purged) == len(purged)
    assert metrics.PURGED_KEYS.labels("ok")._value.get() == counted + len(purged)
    response, _ = fetch(port, f"/a/{story.pk}/")
    assert response.getheader("X-Cache") == "MISS"


@pytest.mark.django_db
def test_no_purge_is_repeated_without_a_shared_cache(stories):
    from django_tasks_db.models import DBTaskResult

    from citydesk.publishing import tasks

    actions.edit_article(Article.objects.get(pk=stories[0].pk), {"title": "改过的标题"})
    assert not DBTaskResult.objects.filter(task_path=tasks.purge_keys_again.module_path).exists()


@pytest.mark.django_db(transaction=True)
def test_a_nav_change_purges_every_html_page_and_no_api_document(varnish_front, stories):
    port = varnish_front
    paths = [f"/a/{stories[3].pk}/", "/suzhou/page/2/", f"/api/v1/articles/{stories[3].pk}/"]
    for path in paths:
        assert cached(port, path) == "HIT", path
    _, body = fetch(port, paths[0])
    assert 'href="/suzhou/"' in body.decode().split("</nav>")[0]
    # Out of the nav, which every page shows; a document names its channels, not the nav.
    channel = Channel.objects.get(slug="suzhou")
    channel.in_nav = False
    actions.save_related(channel)
    for path in paths[:2]:
        response, body = fetch(port, path)
        assert response.getheader("X-Cache") == "MISS", path
        assert 'href="/suzhou/"' not in body.decode().split("</nav>")[0], path
    response, _ = fetch(port, paths[2])
    assert response.getheader("X-Cache") == "HIT"


@pytest.mark.django_db(transaction=True)
def test_varnish_keeps_fragments_for_their_max_age_by_path(varnish_front, stories):
    port = varnish_front
    story = stories[0]
    for path in (f"/fragments/related/{story.pk}/", "/fragments/picks/", "/fragments/hot/"):
        assert cached(port, path) == "HIT", path
        response, _ = fetch(port, path)
        assert response.getheader("Cache-Control") == "public, max-age=30"
    # No view reads a query string: one made up to get past the cache finds it.
    response, _ = fetch(port, "/fragments/hot/?r=12345")
    assert response.getheader("X-Cache") == "HIT"


@pytest.mark.django_db(transaction=True)
def test_varnish_passes_the_newsroom_and_ignores_a_query_string(varnish_front, stories):
    port = varnish_front
    for _ in range(2):
        response, _ = fetch(port, "/newsroom/")
        assert response.getheader("X-Cache") == "MISS"  # never kept
    # A query string is not a page of its own; ?page= goes to the app.
    assert cached(port, "/suzhou/") == "HIT"
    response, _ = fetch(port, "/suzhou/?from=timeline")
    assert response.getheader("X-Cache") == "HIT"


@pytest.mark.django_db(transaction=True)
def test_clear_page_cache_empties_varnish_too(varnish_front, stories):
    port = varnish_front
    paths = ["/suzhou/", f"/api/v1/articles/{stories[0].pk}/", f"/a/{stories[2].pk}/"]
    for path in paths:
        assert cached(port, path) == "HIT"
    call_command("clear_page_cache", stdout=io.StringIO())
    for path in paths:
        response, _ = fetch(port, path)
        assert response.getheader("X-Cache") == "MISS", path


@pytest.mark.django_db(transaction=True)
def test_a_purge_from_elsewhere_or_without_the_secret_is_refused(live_server, tmp_path):
    require_service(
        varnish.varnishd_binary() is not None and varnish.xkey_available(),
        "varnish with xkey is not installed (apt-get install varnish varnish-modules)",
    )
    publish("一篇稿件", 1)
    node = [(live_server.thread.host, live_server.thread.port)]
    secret = "s3cret-for-purging-0123"
    for n, (purgers, sent, expected) in enumerate(
        [
            (["10.9.8.7"], {}, 403),  # not from an address it knows
            (["127.0.0.0/8"], {}, 403),  # from one, without the secret
            (["127.0.0.0/8"], {varnish.PURGE_SECRET_HEADER: "wrong-secret-0123456"}, 403),
            (["127.0.0.0/8"], {varnish.PURGE_SECRET_HEADER: secret}, 200),
        ]
    ):
        port = free_port()
        vcl = varnish.render(node, purgers, secret="" if n == 0 else secret)
        with varnish.running_varnish(tmp_path / f"varnish{n}", vcl, port):
            assert cached(port, "/suzhou/") == "HIT"
            response, _ = fetch(port, "/", {"xkey-purge": "/suzhou/", **sent}, method="PURGE")
            assert response.status == expected, (purgers, sent)
            response, _ = fetch(port, "/suzhou/")
            assert response.getheader("X-Cache") == ("MISS" if expected == 200 else "HIT")


def test_the_vcl_takes_only_hosts_networks_and_secrets():
    for nodes, purgers, secret in [
        ([('a"b', 80)], ["127.0.0.1"], ""),
        ([("127.0.0.1", 80)], ["0.0.0.0/0; } sub vcl_hit {"], ""),
        ([("127.0.0.1", 80)], ["127.0.0.1"], 'short"'),
        ([], ["127.0.0.1"], ""),
    ]:
        with pytest.raises(ValueError):
            varnish.render(nodes, purgers, secret=secret)
