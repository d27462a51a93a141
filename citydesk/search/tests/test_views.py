"""The reader's search page and the suggestions behind the search box."""

import json

import pytest
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citydesk.search.tests.conftest import at, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        local = make_article(
            "苏州发布数字经济新政",
            "全力打造数字经济发展高地。",
            source="苏州日报",
            channels=["suzhou"],
            published_at=at(2021, 5, 1),
        )
        national = make_article(
            "数字经济规模持续扩大",
            "全国数字经济增长。",
            source="新华社",
            channels=["guonei"],
            published_at=at(2023, 5, 1),
        )
        evil = make_article(
            "<script>alert(1)</script>数字经济",
            "正文里的 <b>数字经济</b> &lt;img src=x onerror=alert(1)&gt;",
            published_at=at(2022, 1, 1),
        )
    return {"local": local, "national": national, "evil": evil}


def hit_ids(response) -> list[int]:
    return [item.article.pk for item in response.context["page"].items]


def test_results_page_ranks_marks_and_counts(site, client):
    response = client.get("/search/", {"q": "数字经济"})
    assert response.status_code == 200
    assert set(hit_ids(response)) == {a.pk for a in site.values()}
    html = response.content.decode()
    assert "<mark>数字经济</mark>" in html
    assert "找到约 3 篇" in html
    assert 'name="q" value="数字经济"' in html


def test_results_are_kept_out_of_search_engines_but_the_search_page_is_not(site, client):
    noindex = '<meta name="robots" content="noindex, follow">'
    assert noindex in client.get("/search/", {"q": "数字经济"}).content.decode()
    assert noindex not in client.get("/search/").content.decode()


def test_titles_and_snippets_cannot_inject_html(site, client):
    html = client.get("/search/", {"q": "数字经济 alert"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert escape("<script>") in html
    assert "onerror=alert(1)>" not in html


def test_query_is_escaped_back(site, client):
    html = client.get("/search/", {"q": '"><script>x()</script>'}).content.decode()
    assert "<script>x()</script>" not in html


def test_filters_channel_source_dates_and_sort(site, client):
    def ids(**params):
        return hit_ids(client.get("/search/", {"q": "数字经济", **params}))

    assert ids(channel="suzhou") == [site["local"].pk]
    assert ids(source="新华社") == [site["national"].pk]
    assert ids(start="2022-06-01") == [site["national"].pk]
    assert ids(start="2021-01-01", end="2021-12-31") == [site["local"].pk]
    assert ids(sort="time") == [site["national"].pk, site["evil"].pk, site["local"].pk]


def test_bad_filter_values_are_dropped_with_a_note(site, client):
    response = client.get(
        "/search/",
        {"q": "数字经济", "channel": "nope", "start": "yesterday", "sort": "x", "page": "-3"},
    )
    assert response.status_code == 200
    assert len(hit_ids(response)) == 3
    html = response.content.decode()
    assert "没有这个栏目" in html and "日期应写成" in html


def test_pagination_keeps_the_query(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(23):
            make_article(f"第{n}期太湖简报", "太湖", published_at=at(2020, 1, n + 1))
    first = client.get("/search/", {"q": "太湖", "sort": "time"})
    page = first.context["page"]
    assert (page.total, page.num_pages, len(page.items)) == (23, 3, 10)
    assert "q=%E5%A4%AA%E6%B9%96&amp;sort=time&amp;page=2" in first.content.decode()
    third = client.get("/search/", {"q": "太湖", "sort": "time", "page": "3"})
    assert len(third.context["page"].items) == 3
    beyond = client.get("/search/", {"q": "太湖", "page": "99"})
    assert beyond.context["page"].number == 3


def test_empty_query_and_no_results_say_so(site, client):
    assert "请输入要搜索的字词" in client.get("/search/").content.decode()
    assert "没有找到" in client.get("/search/", {"q": "火星探测"}).content.decode()


def test_search_box_is_on_portal_pages(site, client):
    html = client.get("/").content.decode()
    assert 'action="/search/"' in html and 'data-suggest="/search/suggest/"' in html


def test_suggest_gives_titles_and_words(site, client):
    from citydesk.content.models import Tag

    Tag.objects.create(name="数字经济示范区", slug="szjj")
    response = client.get("/search/suggest/", {"q": "数字经"})
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/json"
    assert data["q"] == "数字经"
    titles = [t["title"] for t in data["titles"]]
    assert "苏州发布数字经济新政" in titles and "数字经济规模持续扩大" in titles
    assert all(t["url"].startswith("/a/") for t in data["titles"])
    assert "数字经济示范区" in data["terms"]


@pytest.mark.parametrize(
    "q", ["数", "济", "数字", "，，、。", "!?", "苏" * 10_000, "数字 " * 3_000]
)
def test_short_and_junk_queries_answer(site, client, q):
    response = client.get("/search/", {"q": q})
    assert response.status_code == 200
    assert client.get("/search/suggest/", {"q": q}).status_code == 200
    page = response.context["page"]
    if q in ("数", "济", "数字"):  # one character of a word is found as well as the word
        assert page.total == 3
    elif q == "数字 " * 3_000:
        assert page.total == 3 and "只用了前 100 个字" in page.notice
    else:
        assert page.total == 0


def test_suggest_for_nothing_is_empty(client):
    data = json.loads(client.get("/search/suggest/", {"q": "  "}).content)
    assert data == {"q": "  ", "titles": [], "terms": []}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=st.text(max_size=120)
    | st.sampled_from(
        ['"', "((", "苏州 OR", "*", "😀", "苏" * 10_000, "的" * 10_000, "数 字", "，。！"]
    ),
    extra=st.dictionaries(
        st.sampled_from(["channel", "start", "end", "source", "sort", "page"]), st.text(max_size=20)
    ),
)
def test_fuzzed_requests_never_fail(site, q, extra):
    client = Client()
    params = {"q": q, **extra}
    assert client.get("/search/", params).status_code == 200
    assert client.get("/search/suggest/", {"q": params["q"]}).status_code == 200
