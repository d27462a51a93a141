"""The backend contract, run against SQLite FTS5 and PostgreSQL.

Each runs where the test database is of its kind: SQLite in the ordinary run, PostgreSQL
when tests/test_postgres.py runs the app suites again against a PostgreSQL server.
"""

import os

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from citydesk.core.testing import require_service
from citydesk.core.text import parse_query
from citydesk.search.actions import documents, index_articles
from citydesk.search.backends import get_backend
from citydesk.search.backends.base import Filters, IndexDocument, Matcher, SearchBackend, Tier
from citydesk.search.backends.postgres import PostgresBackend, asked_lexemes
from citydesk.search.backends.sqlite_fts5 import SQLiteFTS5Backend
from citydesk.search.tests.conftest import at, make_article
from citydesk.search.tests.contract import BackendContract


class TestSQLiteFTS5(BackendContract):
    @pytest.fixture
    def backend(self, db):
        if connection.vendor != "sqlite":
            pytest.skip("the test database is not SQLite")
        return SQLiteFTS5Backend("test", {})


class TestPostgres(BackendContract):
    @pytest.fixture
    def backend(self, db):
        if connection.vendor != "postgresql":
            require_service(
                bool(os.environ.get("CITYDESK_TEST_POSTGRES_URL")),
                "CITYDESK_TEST_POSTGRES_URL is not set (no PostgreSQL server)",
            )
            pytest.skip("runs in the PostgreSQL pass (tests/test_postgres.py)")
        return PostgresBackend("test", {})


@pytest.mark.django_db
def test_auto_picks_the_backend_of_the_database():
    expected = {"sqlite": SQLiteFTS5Backend, "postgresql": PostgresBackend}[connection.vendor]
    assert type(get_backend()) is expected


@pytest.mark.django_db
def test_backend_named_in_settings_and_options():
    short = {"sqlite": "sqlite", "postgresql": "postgres"}[connection.vendor]
    config = {"default": {"BACKEND": short, "OPTIONS": {"TITLE_WEIGHT": 4, "RECENCY_WEIGHT": 0}}}
    with override_settings(SEARCH_BACKENDS=config):
        backend = get_backend()
        assert (backend.title_weight, backend.recency_weight) == (4.0, 0.0)


@pytest.mark.django_db
def test_a_backend_for_another_database_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    other = {"sqlite": "postgres", "postgresql": "sqlite"}[connection.vendor]
    with (
        override_settings(SEARCH_BACKENDS={"default": {"BACKEND": other}}),
        pytest.raises(ImproperlyConfigured),
    ):
        get_backend()


def test_the_base_class_leaves_every_operation_to_subclasses():
    base = SearchBackend("x", {})
    doc = IndexDocument(1, "a", "b", "", published_at=None)  # type: ignore[arg-type]
    for call in (
        lambda: base.add(doc),
        lambda: base.add_bulk([doc]),
        lambda: base.delete([1]),
        lambda: base.matcher(None, parse_query("a"), Filters(now=None), title_only=False),  # type: ignore[arg-type]
        lambda: base.indexed_ids(),
        lambda: base.clear(),
        lambda: Matcher()._matching(None),
        lambda: Matcher()._scored(None, (), window=1),
        lambda: Matcher()._recency(),
    ):
        with pytest.raises(NotImplementedError):
            call()


def test_the_index_is_not_asked_for_a_fragments_common_bigrams():
    common = {"发展": 0.38, "质量": 0.11, "教育": 0.1, "改革": 0.12}
    assert asked_lexemes("高质量发展", common) == ["高质", "量发"]  # the two not common
    assert asked_lexemes("教育改革", common) == ["教育", "育改"]  # 育改, then the rarer
    assert asked_lexemes("粤港澳大湾区", common) == ["粤港", "港澳", "澳大", "大湾", "湾区"]
    assert asked_lexemes("高质量发展", {}) == ["高质", "质量", "量发", "发展"]  # no statistics
    assert asked_lexemes("质量发展", common) == ["质量", "量发"]  # at least two, the rarest
    assert asked_lexemes("教育改革", {**common, "育改": 0.2}) == ["教育", "改革"]
    assert asked_lexemes("苏州", common) == ["苏州"]
    assert asked_lexemes("苏", common) == ["苏"]


@pytest.mark.django_db
def test_a_search_finds_the_fragment_not_its_bigrams_apart(monkeypatch):
    """Asked for fewer bigrams, the index finds more articles; the text keeps the
    fragment's matches exact."""
    backend = get_backend()
    whole = make_article("推动高质量发展", "")
    apart = make_article("高质产品讲质量发展", "")  # its four bigrams, not the fragment
    index_articles([whole.pk, apart.pk], backend=backend)
    if isinstance(backend, PostgresBackend):  # asked for 高质 and 量发 alone
        monkeypatch.setattr(backend, "common_lexemes", lambda *_: {"质量": 0.1, "发展": 0.4})
    found = backend.search(parse_query("高质量发展"), Filters(now=timezone.now()))
    # The other is found by its words, below: never as holding the fragment.
    assert [h.article_id for h in found.hits if h.tier <= Tier.TEXT] == [whole.pk]
    assert found.hits[0].article_id == whole.pk


@pytest.mark.django_db
def test_a_common_query_walks_back_only_as_far_as_its_density_makes_worthwhile(monkeypatch):
    """On PostgreSQL the newest matches of a part its count found COUNT_CAP times are
    read back along the key, further where it is sparser, and not at all where that
    would take more than MAX_WALK articles; the index finds them then."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (tests/test_postgres.py)")
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from citydesk.search.backends import base, postgres

    monkeypatch.setattr(base, "COUNT_CAP", 3)
    backend = PostgresBackend("test", {})
    backend.rank_limit = backend.common_rank_limit = 2
    backend.weak_limit = 0
    # One in three articles holds 园区: two matches need about six articles walked.
    articles = [
        make_article(
            "园区新闻" if n % 3 == 0 else f"第{n}期动态", "", published_at=at(2020, 1, n + 1)
        )
        for n in range(12)
    ]
    backend.add_bulk(documents([a.pk for a in articles]))
    newest = sorted(a.pk for a in articles if a.title == "园区新闻")[-2:]

    def walked(max_walk: int) -> tuple[bool, bool]:
        """Whether the newest were walked back, and whether the index found them."""
        monkeypatch.setattr(postgres, "MAX_WALK", max_walk)
        with CaptureQueriesContext(connections[backend.using]) as queries:
            found = backend.search(parse_query("园区"), Filters(now=timezone.now()), limit=2)
        assert sorted(h.article_id for h in found.hits) == newest
        sql = [q["sql"] for q in queries.captured_queries]
        return (
            any("'enable_bitmapscan', 'off'" in s for s in sql),
            any(s.startswith("SELECT d.article_id AS id FROM search_document d") for s in sql),
        )

    # A walk of one article a match would find one; the density makes it long enough.
    monkeypatch.setattr(postgres, "WALK", 1)
    assert walked(max_walk=100) == (True, False)
    # More than three articles to walk: the index, at once.
    assert walked(max_walk=3) == (False, True)


@pytest.fixture
def large_index(db, monkeypatch):
    """A PostgreSQL backend that takes its few documents for a large index, ranking one
    match at a time: the fragments' part of four or more matches is counted by the
    index alone. Six of its twelve articles hold 园区新闻."""
    if connection.vendor != "postgresql":
        pytest.skip("runs in the PostgreSQL pass (tests/test_postgres.py)")
    from citydesk.search.backends import postgres

    backend = PostgresBackend("test", {})
    backend.exact_count = backend.weak_limit = 0
    backend.rank_limit = 1
    monkeypatch.setattr(backend, "rows", lambda cursor: 12.0)
    monkeypatch.setattr(postgres, "INDEX_COUNT_ROWS", 12)
    monkeypatch.setattr(backend, "common_lexemes", lambda *_: {})
    articles = [
        make_article(
            "园区新闻发布" if n % 2 == 0 else f"第{n}期动态", "", published_at=at(2020, 1, n + 1)
        )
        for n in range(12)
    ]
    backend.add_bulk(documents([a.pk for a in articles]))
    return backend, sorted(a.pk for a in articles if a.title.startswith("园区"))


def _searched(backend, text, **kwargs):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connections[backend.using]) as queries:
        found = backend.search(parse_query(text), Filters(now=timezone.now(), **kwargs), limit=2)
    return found, [q["sql"] for q in queries.captured_queries]


def _sorted_all(sql: list[str]) -> bool:
    """Whether a part's matches were all sorted for its newest (no range of the key)."""
    return any(
        s.startswith("SELECT d.article_id AS id FROM search_document d")
        and "ORDER BY d.article_id DESC LIMIT" in s
        and "AND d.article_id >= " not in s
        for s in sql
    )


def test_a_large_index_counts_a_part_many_hold_by_its_bitmap(large_index, monkeypatch):
    """Past the cap of a counted part: all six, from the index's bitmap, with no row
    read to count them; under a filter the rows are counted, up to the cap."""
    from citydesk.search.backends import base

    monkeypatch.setattr(base, "COUNT_CAP", 3)
    backend, holding = large_index
    found, sql = _searched(backend, "园区")
    # All six, and the entries of rows the other tests left for a vacuum to remove.
    assert found.total >= 6
    assert [h.article_id for h in found.hits] == holding[-1:]  # ranked among the newest one
    assert any(s.startswith("EXPLAIN (ANALYZE") for s in sql)
    assert not any(s.startswith("SELECT count(*)") for s in sql), sql
    found, sql = _searched(backend, "园区", start=at(2019, 1, 1))
    assert found.total == 3  # counted, to the cap
    assert not any(s.startswith("EXPLAIN") for s in sql)


def test_the_words_are_counted_by_their_rows(large_index):
    """A bitmap of the words' index may hold articles PostgreSQL then rules out in the
    row (weights, phrases): the words are counted by their rows."""
    backend, _ = large_index
    backend.rank_limit = 50  # so that the words are counted after the fragments
    _, sql = _searched(backend, "园区 动态")
    explained = [s for s in sql if s.startswith("EXPLAIN")]
    assert explained
    assert all("d.chars @@" in s for s in explained), explained
    assert any(s.startswith("SELECT count(*)") and "d.vector @@" in s for s in sql), sql


def test_a_part_of_common_lexemes_is_counted_from_the_statistics(large_index, monkeypatch):
    """Lexemes the statistics find about as common as each other, in one fragment: the
    rarer's share of the documents, with nothing read; where they differ more, or belong
    to two fragments, the index counts."""
    backend, holding = large_index
    common = {"园区": 0.5, "区新": 0.55, "发布": 0.5}
    monkeypatch.setattr(backend, "common_lexemes", lambda *_: common)
    found, sql = _searched(backend, "园区新")
    assert found.total == 6  # half of the twelve documents
    assert not any(s.startswith(("EXPLAIN", "SELECT count(*)")) for s in sql), sql
    assert [h.article_id for h in found.hits] == holding[-1:]  # ranked among the newest one
    _, sql = _searched(backend, "园区 发布")  # two fragments
    assert any(s.startswith("EXPLAIN") for s in sql)
    common["区新"] = 0.9
    found, sql = _searched(backend, "园区新")
    assert any(s.startswith("EXPLAIN") for s in sql)
    assert [h.article_id for h in found.hits] == holding[-1:]  # ranked among the newest one


def test_the_newest_of_many_matches_come_from_a_range_of_the_key(large_index):
    """A fragment of several bigrams, ranked among its newest: the range of the key is
    read with the condition priced as one lexeme (OR-ed with one no article holds), and
    finds the newest, with no sort of all its matches."""
    backend, _ = large_index
    articles = [
        make_article("枫桥夜泊诗会" if n % 2 else f"简讯{n}", "", published_at=at(2021, 2, n + 1))
        for n in range(12)
    ]
    backend.add_bulk(documents([a.pk for a in articles]))
    found, sql = _searched(backend, "枫桥夜泊")
    assert [h.article_id for h in found.hits] == [articles[-1].pk]
    assert any("AND d.article_id >= " in s and "| '' '''" in s for s in sql), sql
    assert not _sorted_all(sql)


def test_a_range_holding_fewer_than_expected_is_widened_once(large_index):
    """Five old articles hold it, and the newest fifteen do not: the first range finds
    none, the wider one the newest of the five, and all are not sorted."""
    backend, _ = large_index
    articles = [
        make_article(
            "湖畔音乐节开幕" if n < 5 else f"其他消息{n}", "", published_at=at(2021, 1, n + 1)
        )
        for n in range(20)
    ]
    backend.add_bulk(documents([a.pk for a in articles]))
    found, sql = _searched(backend, "湖畔音乐节")
    assert [h.article_id for h in found.hits] == [articles[4].pk]
    assert sum("AND d.article_id >= " in s for s in sql) == 2
    assert not _sorted_all(sql)
