"""`citydesk search` for scripts and `citydesk reindex` for operators."""

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.core.text import parse_query
from citydesk.search.backends import get_backend
from citydesk.search.backends.base import Filters, Tier
from citydesk.search.tests.conftest import at, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return [
            make_article("太仓港集装箱吞吐量创新高", "港口", published_at=at(2021)),
            make_article("太仓港开通新航线", "港口", published_at=at(2024)),
            make_article("昆山发布新政", "", published_at=at(2022)),
        ]


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_search_json_shape(articles):
    data = json.loads(run("search", "太仓港", "--json", "--limit", "1"))
    assert data["total"] == 2
    (hit,) = data["results"]
    assert set(hit) == {"id", "title", "url", "published_at", "score"}
    assert hit["id"] in (articles[0].pk, articles[1].pk)
    assert hit["url"] == f"/a/{hit['id']}/"
    assert hit["published_at"].endswith("+08:00")
    assert hit["score"] > 0


def test_search_stdin_answers_each_line_in_order(articles, monkeypatch):
    out = run("search", "--json", "--stdin", stdin='昆山\n\n太仓港\n"((\n', monkeypatch=monkeypatch)
    lines = [json.loads(line) for line in out.splitlines()]
    assert [d["total"] for d in lines] == [1, 0, 2, 0]
    assert lines[0]["results"][0]["id"] == articles[2].pk
    assert lines[1]["message"] == "请输入要搜索的字词"
    assert lines[3]["message"]


def test_search_without_json_prints_a_list(articles):
    out = run("search", "昆山")
    assert "共 1 篇" in out and "昆山发布新政" in out and "2022-01-01 12:00" in out


def test_search_needs_a_query():
    with pytest.raises(CommandError):
        run("search", "--json")


def test_reindex_rebuilds_and_removes_stale(articles):
    backend = get_backend()
    backend.clear()
    Article.objects.filter(pk=articles[2].pk).update(status=Article.Status.UNPUBLISHED)
    backend.add_bulk([])  # nothing
    out = run("reindex", "--no-progress")
    assert "indexed 2, removed 0" in out
    assert backend.indexed_ids() == sorted(a.pk for a in articles[:2])
    # Unpublished behind the index's back (no signal): the next rebuild drops it.
    Article.objects.filter(pk=articles[1].pk).update(status=Article.Status.UNPUBLISHED)
    assert "indexed 1, removed 1" in run("reindex", "--no-progress", "--batch-size", "1")
    assert backend.indexed_ids() == [articles[0].pk]


def test_a_rebuild_in_batches_is_whole(articles):
    # Three batches: the next ones are prepared in a forked process while one is stored.
    out = run("reindex", "--no-progress", "--clear", "--batch-size", "1")
    assert "indexed 3, removed 0" in out
    backend = get_backend()
    assert backend.indexed_ids() == sorted(a.pk for a in articles)
    hits = backend.search(parse_query("仓港集装"), Filters(now=timezone.now())).hits
    assert [(h.article_id, h.tier) for h in hits] == [(articles[0].pk, Tier.TITLE)]


def test_reindex_since_and_containing(articles):
    Article.objects.update(updated_at=at(2020))
    assert "indexed 1," in run("reindex", "--since", "2023-06-01", "--no-progress")
    assert "indexed 2," in run("reindex", "--containing", "太仓港", "--no-progress")


def test_reindex_refuses_a_bad_date():
    with pytest.raises(CommandError):
        run("reindex", "--since", "last week")
