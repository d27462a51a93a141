"""The reference page, imported as the newsroom imports it, is found by what readers type."""

import io

import pytest
from django.core.management import call_command

from citydesk.content.models import Article
from citydesk.core.testing import shared_data
from citydesk.search import queries
from citydesk.search.tests.conftest import make_article

READER_QUERIES = [
    "苏州",
    "营商环境",
    "沪苏同城化",
    "数字经济",
    "苏州市委",
    "GDP",
    "强富美高",
    "蘇州",
    # Pieces of its headline and text as readers paste them, cut inside words.
    "沪苏同城",
    "市委十二届十一",
    "营商环",
    "蘇州市委",
]


@pytest.fixture
def reference(db, django_capture_on_commit_callbacks):
    path = shared_data("seed", "000_03e6a39d6aae467d.txt")
    # Other articles, so that finding it means ranking it, not being the only row.
    with django_capture_on_commit_callbacks(execute=True):
        make_article("苏州河畔的秋天", "上海的苏州河")
        make_article("数字人民币试点扩大", "数字货币")
        call_command("import", "text", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return Article.objects.get(external_id__isnull=False, title__contains="全会")


@pytest.mark.parametrize("q", READER_QUERIES)
def test_reference_article_is_found(reference, q):
    page = queries.search(q)
    found = [item.article.pk for item in page.items]
    assert reference.pk in found, (q, [i.article.title for i in page.items])
    if q not in ("苏州", "蘇州"):  # 苏州河畔的秋天 has it in its title
        assert found[0] == reference.pk


def test_reference_snippet_marks_the_words(reference):
    page = queries.search("营商环境")
    (item,) = page.items
    assert "<mark>营商环境</mark>" in item.snippet_html


def test_a_fragment_is_marked_as_typed_across_word_boundaries(reference):
    item = queries.search("市委十二届十一").items[0]
    assert item.article.pk == reference.pk
    assert "<mark>市委十二届十一</mark>次" in item.title_html
    item = queries.search("营商环").items[0]
    assert "<mark>营商环</mark>境" in item.snippet_html


def test_typing_a_prefix_of_a_headline_fragment_suggests_the_headline(reference):
    for typed in ("十二届十", "委十二届十一次全", "蘇州市委十"):
        titles = [t["title"] for t in queries.suggest(typed)["titles"]]
        assert titles[:1] == [reference.title], typed


@pytest.mark.django_db
def test_a_word_finds_the_longer_word_it_is_part_of(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bank = make_article("中国农业发展银行江苏省分行投放春耕贷款", "支持粮食生产")
        make_article("银行业运行平稳", "存款")
    assert [i.article.pk for i in queries.search("农业").items] == [bank.pk]
    assert bank.pk in [i.article.pk for i in queries.search("发展银行").items]
