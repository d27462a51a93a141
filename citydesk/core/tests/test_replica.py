"""Readers' renders from a real streaming replica (core/replica.py), in the PostgreSQL
pass (tests/test_postgres.py) with CITYDESK_TEST_REPLICA_URL naming a hot standby of the
test server (.ci/run makes one with pg_basebackup)."""

import os
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import timedelta

import dj_database_url
import pytest
from django.db import connection, connections
from django.db.utils import load_backend
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core import replica
from citydesk.core.testing import free_port, require_service

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The alias is added for the test only (use_replica_at), which Django warns of.
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]


def use_replica_at(settings, host: str, port: int, url: str = "") -> None:
    """The alias `replica` at host:port, reading the test database (replicated there).

    Its connection is made here, not from settings: the test runner allows no query to
    an alias it did not set up (and must not flush a read-only standby)."""
    config = dict(connection.settings_dict)
    if url:
        parsed = dj_database_url.parse(url)
        config.update({k: parsed[k] for k in ("USER", "PASSWORD")})
    config.update(HOST=host, PORT=port, CONN_MAX_AGE=0)
    config["OPTIONS"] = {**config.get("OPTIONS", {}), "connect_timeout": 2}
    settings.DATABASES = {**settings.DATABASES, replica.REPLICA: config}
    if replica.REPLICA in connections:
        connections[replica.REPLICA].close()
    connections[replica.REPLICA] = load_backend(config["ENGINE"]).DatabaseWrapper(
        config, replica.REPLICA
    )
    replica.forget_failures()


@pytest.fixture
def standby(transactional_db, settings) -> Iterator[str]:
    if connection.vendor != "postgresql":
        pytest.skip("a replica is PostgreSQL's: this runs in the PostgreSQL pass")
    url = os.environ.get("CITYDESK_TEST_REPLICA_URL", "")
    require_service(bool(url), "CITYDESK_TEST_REPLICA_URL is not set (no streaming replica)")
    settings.CITYDESK_PAGE_CACHE = False
    settings.CITYDESK_REPLICA_WAIT = 5.0  # a busy machine's lag is not what is tested
    parsed = dj_database_url.parse(url)
    use_replica_at(settings, parsed["HOST"], int(parsed["PORT"]), url)
    yield url
    use_replica_at(settings, parsed["HOST"], int(parsed["PORT"]), url)
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    connections[replica.REPLICA].close()
    del connections[replica.REPLICA]
    replica.forget_failures()


def story(title: str = "副本读取的稿件") -> Article:
    return actions.create_article(
        ArticleData(
            title=title,
            body=[{"type": "paragraph", "text": "正文。"}],
            channels=["suzhou"],
            published_at=timezone.now() - timedelta(minutes=1),
        ),
        status=Article.Status.PUBLISHED,
    )


def read(path: str, *, standby_up: bool = True) -> tuple[str, list[str], list[str]]:
    """The page's text, and the SQL that ran on the primary and on the replica."""
    with ExitStack() as stack:
        primary = stack.enter_context(CaptureQueriesContext(connections["default"]))
        standby = (
            stack.enter_context(CaptureQueriesContext(connections[replica.REPLICA]))
            if standby_up
            else None
        )
        response = Client().get(path)
    assert response.status_code == 200
    return (
        response.content.decode(),
        [q["sql"] for q in primary.captured_queries],
        [q["sql"] for q in standby.captured_queries] if standby else [],
    )


def reads_articles(queries: list[str]) -> bool:
    return any('FROM "content_article"' in sql for sql in queries)


def test_a_readers_page_reads_the_replica_once_it_has_caught_up(standby):
    article = story()
    body, primary, standby_sql = read(article.get_absolute_url())
    assert article.title in body
    assert reads_articles(standby_sql) and not reads_articles(primary), (primary, standby_sql)
    # The primary is asked one thing: how far it has written.
    assert primary == ["SELECT pg_current_wal_lsn()"]
    # A request that reads nothing (a static file) asks nothing.
    with CaptureQueriesContext(connections["default"]) as asked:
        assert Client().get("/static/portal/portal.css").status_code == 200
    assert asked.captured_queries == []


def test_a_readers_search_reads_the_replica_too(standby):
    article = story("副本检索的稿件")
    from citydesk.search.actions import index_articles

    index_articles([article.pk])  # as the follow-up does
    body, primary, standby_sql = read("/search/?q=副本检索")
    assert f'href="{article.get_absolute_url()}"' in body  # its title is highlighted
    searched = [sql for sql in standby_sql if "search_document" in sql]
    assert searched and not any("search_document" in sql for sql in primary)


def test_a_lagging_replica_is_skipped_so_an_edit_shows_at_once(standby, settings):
    article = story()
    read(article.get_absolute_url())
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    actions.edit_article(Article.objects.get(pk=article.pk), {"title": "改过的标题"})
    settings.CITYDESK_REPLICA_WAIT = 0.05
    body, primary, standby_sql = read(article.get_absolute_url())
    # The replica has not replayed the edit: the page is read from the primary.
    assert "改过的标题" in body and reads_articles(primary) and not reads_articles(standby_sql)
    # Left alone for LAGGING_FOR after that: the next render does not wait for it.
    body, primary, standby_sql = read(article.get_absolute_url())
    assert reads_articles(primary) and standby_sql == []
    with connections[replica.REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    replica.forget_failures()  # as when LAGGING_FOR has passed
    settings.CITYDESK_REPLICA_WAIT = 2.0
    body, primary, standby_sql = read(article.get_absolute_url())
    assert "改过的标题" in body and reads_articles(standby_sql) and not reads_articles(primary)


def test_a_stopped_replica_leaves_readers_on_the_primary(standby, settings):
    article = story()
    use_replica_at(settings, "127.0.0.1", free_port())  # nothing listens there: as a stopped server
    body, primary, _ = read(article.get_absolute_url(), standby_up=False)
    assert article.title in body and reads_articles(primary)
    # Left alone for a while: the next page does not even ask it.
    body, primary, _ = read(article.get_absolute_url(), standby_up=False)
    assert reads_articles(primary) and "SELECT pg_current_wal_lsn()" not in primary


def test_the_newsroom_and_writes_read_the_primary(standby):
    seen: list[str] = []

    def view(request):
        seen.append(replica.reading())
        from django.http import HttpResponse

        return HttpResponse()

    middleware = replica.ReplicaMiddleware(view)
    from django.test import RequestFactory

    factory = RequestFactory()
    for request in (
        factory.get("/newsroom/"),
        factory.get("/admin/content/article/"),
        factory.post("/api/v1/drafts/"),
        factory.get("/suzhou/"),
    ):
        middleware(request)
    assert seen == ["default", "default", "default", "replica"]
    assert replica._reading.get() == "default"  # only for the request


def test_start_up_refuses_a_replica_url_that_names_the_primary(standby, settings):
    assert replica.check_replica() == []
    # The primary's own address as the replica's: a writable server.
    use_replica_at(settings, connection.settings_dict["HOST"], connection.settings_dict["PORT"])
    (problem,) = replica.check_replica()
    assert problem.is_serious()
    assert problem.msg.startswith("CITYDESK_DATABASE_REPLICA_URL names a server that is not a")
    # A replica that is down is no reason to refuse: readers use the primary.
    use_replica_at(settings, "127.0.0.1", free_port())
    (problem,) = replica.check_replica()
    assert not problem.is_serious() and "cannot be reached" in problem.msg
