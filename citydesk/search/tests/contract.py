"""The contract every search backend keeps; `test_backends.py` runs it against each one."""

from datetime import timedelta

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citydesk.core import text
from citydesk.core.text import parse_query
from citydesk.search import actions
from citydesk.search.backends import base
from citydesk.search.backends.base import Filters, IndexDocument, SearchBackend, Tier
from citydesk.search.tests.conftest import at, make_article

NASTY = [
    '"',
    '""',
    "'",
    "((",
    "))",
    "苏州 AND",
    "OR 苏州",
    "NOT",
    "NEAR(苏州 数字, 2)",
    "苏*",
    "*",
    "^苏州",
    "title: 苏州",
    "title:(苏州",
    "{title}: x",
    "苏州 & 数字 | !经济 <-> x:*",
    "'苏州':A",
    "\\",
    "%s %% ?",
    "-- ; DROP TABLE search_fts;",
    "😀🇨🇳",
    "\x00\x01\x1f\x7f",
    "\u200b\u202e\ufeff",
    "苏" * 10_000,
    "苏州 " * 3_000,
]


def now() -> Filters:
    return Filters(now=timezone.now())


def ids(backend: SearchBackend, q: str, **kwargs) -> list[int]:
    filters = kwargs.pop("filters", None) or now()
    return [h.article_id for h in backend.search(parse_query(q), filters, **kwargs).hits]


def index(backend: SearchBackend, *articles) -> None:
    backend.add_bulk(actions.documents([a.pk for a in articles]))


@pytest.mark.django_db
class BackendContract:
    """Subclasses provide a `backend` fixture."""

    def test_finds_words_sub_words_and_traditional(self, backend):
        bank = make_article("中国农业发展银行支持春耕", "贷款投放")
        city = make_article("苏州市委十二届十一次全会侧记", "营造最优营商环境，GDP迈上新台阶")
        index(backend, bank, city)
        assert ids(backend, "农业") == [bank.pk]
        assert ids(backend, "苏州市委") == [city.pk]
        assert ids(backend, "蘇州") == [city.pk]
        assert ids(backend, "营商环境") == [city.pk]
        assert ids(backend, "gdp") == [city.pk]
        assert ids(backend, "火星") == []

    def test_fragments_cut_inside_words_in_either_script_with_or_without_spaces(self, backend):
        city = make_article("苏州市委十二届十一次全会侧记", "营造最优营商环境，推进沪苏同城化发展")
        other = make_article("十二届全国人大会议", "城市发展环境")
        index(backend, city, other)
        for q in (
            "营商环",
            "商环",
            "沪苏同城",
            "苏同城化发",
            "州市委十二",
            "蘇州市委",
            "市委十二届十一",
        ):
            assert ids(backend, q)[:1] == [city.pk], q
        # Parts apart each hold; a fragment never matches across punctuation.
        assert ids(backend, "十二届 十一次")[:1] == [city.pk]
        hits = backend.search(parse_query("环境推进"), now()).hits
        assert Tier.TEXT not in [h.tier for h in hits]

    def test_tiers_title_fragment_then_text_then_all_words_then_some(self, backend):
        in_title = make_article("太湖蓝藻治理", "", published_at=at(2015))
        in_body = make_article("水环境", "太湖蓝藻治理有进展", published_at=at(2024))
        words_apart = make_article("蓝藻的治理", "太湖水质", published_at=at(2025))
        some_words = make_article("太湖游船", "", published_at=at(2025))
        index(backend, in_title, in_body, words_apart, some_words)
        hits = backend.search(parse_query("太湖蓝藻治理"), now()).hits
        assert [(h.article_id, h.tier) for h in hits] == [
            (in_title.pk, Tier.TITLE),
            (in_body.pk, Tier.TEXT),
            (words_apart.pk, Tier.ALL_WORDS),
            (some_words.pk, Tier.SOME_WORDS),
        ]
        # Newest first lists what holds the whole query, not the articles with some words.
        by_time = ids(backend, "太湖蓝藻治理", sort="time")
        assert by_time == [words_apart.pk, in_body.pk, in_title.pk]

    def test_a_shorter_title_holding_the_fragment_ranks_first(self, backend):
        long = make_article("苏州工业园区发布人工智能产业发展三年行动计划和配套政策")
        short = make_article("人工智能产业发展")
        index(backend, long, short)
        assert ids(backend, "智能产业发") == [short.pk, long.pk]

    def test_one_and_two_character_fragments(self, backend):
        title = make_article("蠡口家具城开业")
        body = make_article("商贸新闻", "位于蠡口的家具城")
        index(backend, title, body)
        assert ids(backend, "蠡") == [title.pk, body.pk]
        assert ids(backend, "蠡口") == [title.pk, body.pk]
        assert ids(backend, "口家") == [title.pk, body.pk]

    def test_removing_an_article_forgets_its_fragments(self, backend):
        article = make_article("同城化发展论坛", "会议纪要")
        index(backend, article)
        article.title = "园林论坛"
        article.save()
        index(backend, article)
        assert ids(backend, "城化发") == []
        assert ids(backend, "园林论") == [article.pk]
        backend.delete([article.pk])
        assert ids(backend, "园林论") == []
        assert ids(backend, "林") == []

    def test_title_outranks_body(self, backend):
        in_body = make_article("一次会议", "会上谈到数字经济的发展。" + "其他内容。" * 5)
        in_title = make_article("数字经济发展高地", "会议内容。" * 5)
        index(backend, in_body, in_title)
        assert ids(backend, "数字经济") == [in_title.pk, in_body.pk]

    def test_newer_wins_a_tie_and_time_sort_is_newest_first(self, backend):
        old = make_article("太湖治理新进展", "太湖水质", published_at=at(2013))
        new = make_article("太湖治理新进展", "太湖水质", published_at=at(2025))
        mid = make_article("太湖", "太湖治理新进展 太湖水质 太湖", published_at=at(2020))
        index(backend, old, new, mid)
        assert ids(backend, "太湖治理")[:2] == [new.pk, old.pk]
        assert ids(backend, "太湖", sort="time") == [new.pk, mid.pk, old.pk]

    def test_time_sort_pages_are_the_newest_however_the_matches_lie(self, backend):
        # 40 articles, one a day; 园林 in every fourth, 古桥 only in the three oldest.
        # PostgreSQL looks among the newest documents first (16 a result), then wider:
        # each page must be what a plain sort of every match gives.
        articles = [
            make_article(
                "园林消息" if n % 4 == 0 else "城市消息",
                "古桥" if n < 3 else "正文",
                published_at=at(2024, 1, 1) + timedelta(days=n),
            )
            for n in range(40)
        ]
        index(backend, *articles)
        garden = [a.pk for a in reversed(articles) if "园林" in a.title]
        assert ids(backend, "园林", sort="time", limit=2) == garden[:2]
        assert ids(backend, "园林", sort="time", limit=2, offset=2) == garden[2:4]
        assert ids(backend, "园林", sort="time", limit=20) == garden
        assert ids(backend, "古桥", sort="time", limit=2) == [articles[2].pk, articles[1].pk]

    def test_add_replaces_and_delete_removes(self, backend):
        article = make_article("园林修复", "拙政园")
        index(backend, article)
        article.title = "古城保护"
        article.save()
        index(backend, article)
        assert ids(backend, "园林") == []
        assert ids(backend, "古城保护") == [article.pk]
        assert backend.indexed_ids() == [article.pk]
        backend.delete([article.pk])
        assert ids(backend, "古城保护") == []
        assert backend.indexed_ids() == []

    def test_add_one_document(self, backend):
        doc = IndexDocument(
            article_id=987_654,
            title=text.index_text("平江路夜游"),
            body=text.index_text("夜游平江路"),
            meta="",
            published_at=at(2024),
        )
        backend.add(doc)
        assert ids(backend, "平江路") == [987_654]

    def test_filters_source_dates_channel_and_future(self, backend):
        a = make_article("运河文化带", "", source="苏州日报", published_at=at(2021, 3, 1))
        b = make_article(
            "运河文化带", "", source="新华社", channels=["guonei"], published_at=at(2023, 6, 1)
        )
        index(backend, a, b)
        # A document whose publish time is ahead (the backend alone decides to hide it).
        future = IndexDocument(
            article_id=b.pk + 1000,
            title=text.index_text("运河文化带"),
            body="",
            meta="",
            published_at=timezone.now() + timedelta(days=2),
        )
        backend.add(future)
        assert sorted(ids(backend, "运河")) == sorted([a.pk, b.pk])
        assert ids(backend, "运河", filters=Filters(now=timezone.now(), source="新华社")) == [b.pk]
        window = Filters(now=timezone.now(), start=at(2021, 1, 1), end=at(2022, 1, 1))
        assert ids(backend, "运河", filters=window) == [a.pk]
        channel_id = b.channels.get().pk
        on_channel = Filters(now=timezone.now(), channel_ids=(channel_id,))
        assert ids(backend, "运河", filters=on_channel) == [b.pk]
        later = Filters(now=timezone.now() + timedelta(days=3))
        assert future.article_id in ids(backend, "运河", filters=later)

    def test_pages_and_totals(self, backend):
        articles = [
            make_article(f"第{n}期园区动态", "园区", published_at=at(2020, 1, n + 1))
            for n in range(13)
        ]
        index(backend, *articles)
        query = parse_query("园区")
        first = backend.search(query, now(), limit=10)
        second = backend.search(query, now(), limit=10, offset=10)
        assert (first.total, second.total) == (13, 13)
        assert len(first.hits) == 10 and len(second.hits) == 3
        seen = [h.article_id for h in first.hits + second.hits]
        assert sorted(seen) == sorted(a.pk for a in articles)
        assert backend.search(query, now(), limit=5, count=False).total == 5

    def test_scores_are_positive_and_ordered(self, backend):
        index(backend, make_article("数字经济", "数字经济"), make_article("经济", "数字"))
        hits = backend.search(parse_query("数字经济"), now()).hits
        assert [h.score > 0 for h in hits] == [True, True]
        # The article with the fragment ranks above the one with its words apart.
        assert [h.tier for h in hits] == [Tier.TITLE, Tier.ALL_WORDS]

    def test_a_very_broad_query_is_ranked_among_the_newest(self, backend):
        articles = [make_article("园区新闻", "园区" * (9 - n)) for n in range(6)]
        index(backend, *articles)
        backend.rank_limit = 3
        results = backend.search(parse_query("园区"), now(), limit=10)
        newest = sorted(a.pk for a in articles)[-3:]
        assert sorted(h.article_id for h in results.hits) == newest
        assert results.total == 6
        by_time = backend.search(parse_query("园区"), now(), sort="time", limit=10)
        assert len(by_time.hits) == 6

    def test_a_query_most_articles_hold_is_ranked_among_its_newest_few(self, backend, monkeypatch):
        monkeypatch.setattr(base, "COUNT_CAP", 6)
        backend.rank_limit, backend.common_rank_limit = 7, 2
        articles = [
            make_article(
                "园区" if n == 5 else "今日园区新闻一览", "园区", published_at=at(2020, 1, n + 1)
            )
            for n in range(8)
        ]
        index(backend, *articles)
        newest = sorted(a.pk for a in articles)[::-1]
        best = articles[5].pk  # the third newest, and the best title
        with CaptureQueriesContext(connections[backend.using]) as queries:
            first = backend.search(parse_query("园区"), now(), limit=2)
        assert [h.article_id for h in first.hits] == newest[:2]
        assert first.total == 8
        if backend.vendor == "postgresql":
            # Found by reading the newest articles back, not by sorting the index's matches.
            assert any("'enable_indexscan', 'on'" in q["sql"] for q in queries.captured_queries)
        # The next step of pages ranks the newest four.
        second = backend.search(parse_query("园区"), now(), limit=2, offset=2)
        assert [h.article_id for h in second.hits] == [n for n in newest[:4] if n != best][1:3]
        # Without the cap, the best title leads.
        monkeypatch.setattr(base, "COUNT_CAP", 10_000)
        assert ids(backend, "园区", limit=2)[0] == best

    def test_a_common_query_the_newest_articles_lack_is_still_found(self, backend, monkeypatch):
        monkeypatch.setattr(base, "COUNT_CAP", 2)
        # The fragments alone are ranked (they find RANK_LIMIT), with no weak tier.
        backend.rank_limit = backend.common_rank_limit = 2
        backend.weak_limit = 0
        old = [make_article("园区新闻", "", published_at=at(2019, 1, n + 1)) for n in range(3)]
        lacking = [
            make_article(f"第{n}期动态", "", published_at=at(2020, 1, n + 1)) for n in range(25)
        ]
        index(backend, *old, *lacking)
        assert sorted(ids(backend, "园区", limit=2)) == sorted(a.pk for a in old[1:])

    def test_title_only_with_prefix_as_you_type(self, backend):
        titled = make_article("数字经济发展高地", "")
        bodied = make_article("一次会议", "数字经济")
        index(backend, titled, bodied)
        for typed in ("数", "济发", "经济发展高"):
            query = parse_query(typed, prefix=True)
            hits = backend.search(query, now(), title_only=True, count=False).hits
            assert [h.article_id for h in hits] == [titled.pk], typed

    def test_tags_and_people_are_searchable(self, backend):
        article = make_article("全会侧记", "正文", tags=["长三角"], credits=[("writer", "钱茹冰")])
        index(backend, article)
        assert ids(backend, "长三角") == [article.pk]
        assert ids(backend, "钱茹冰") == [article.pk]

    def test_a_word_added_later_finds_articles_indexed_before(self, backend):
        article = make_article("全面推进沪苏同城化", "")
        index(backend, article)
        text.segmenter.use_words(["沪苏同城化"])
        assert ids(backend, "沪苏同城化") == [article.pk]

    def test_indexed_ids_in_order_and_clear(self, backend):
        articles = [make_article(f"标题{n}") for n in range(5)]
        index(backend, *articles)
        assert backend.indexed_ids() == sorted(a.pk for a in articles)
        assert backend.indexed_ids(after=articles[1].pk, limit=2) == [a.pk for a in articles[2:4]]
        assert list(backend.all_indexed_ids(batch=2)) == sorted(a.pk for a in articles)
        backend.clear()
        assert backend.indexed_ids() == []

    @pytest.mark.parametrize("q", NASTY)
    def test_query_syntax_and_junk_never_fail(self, backend, q):
        index(backend, make_article("苏州数字经济", "苏州 title x"))
        for prefix in (False, True):
            query = parse_query(q, prefix=prefix)
            backend.search(query, now(), limit=5)
            backend.search(query, now(), title_only=True, count=False)

    @settings(
        max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(q=st.text(max_size=200), prefix=st.booleans())
    def test_fuzzed_queries_never_fail(self, backend, q, prefix):
        results = backend.search(parse_query(q, prefix=prefix), now(), limit=5)
        assert results.total >= len(results.hits)
