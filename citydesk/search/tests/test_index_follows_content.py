"""Publish, edit, unpublish, retract and delete reach the index after commit."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.models import Article, Person, Tag
from citydesk.core.text import parse_query
from citydesk.search import queries, tasks
from citydesk.search.backends import get_backend
from citydesk.search.backends.base import Filters, Tier
from citydesk.search.tests.conftest import at, make_article

pytestmark = pytest.mark.django_db


def found(q: str) -> list[int]:
    return [item.article.pk for item in queries.search(q).items]


def test_publish_indexes_and_unpublish_removes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        draft = make_article("平江历史街区保护", "古城", status=Article.Status.DRAFT)
    assert get_backend().indexed_ids() == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_article(draft)
    assert found("平江") == [draft.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_unpublish_article(draft)
    assert found("平江") == []
    assert get_backend().indexed_ids() == []


def test_retract_removes(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("虎丘塔修缮", "")
    assert found("虎丘塔") == [article.pk]
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_retract_article(article)
    assert found("虎丘塔") == []


def test_nothing_is_indexed_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            from django.db import transaction

            with transaction.atomic():
                make_article("金鸡湖音乐节", "")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert get_backend().indexed_ids() == []


def test_admin_edit_and_delete_follow(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("石湖景区开放", "石湖")
    editor = User.objects.create_superuser("boss", "b@example.com", "pw")
    client = Client()
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/content/article/{article.pk}/delete/", {"post": "yes"})
    assert not Article.objects.filter(pk=article.pk).exists()
    assert found("石湖") == []
    assert get_backend().indexed_ids() == []


def test_edited_title_is_what_is_found(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("旧标题山塘街", "")
    article.title = "新标题七里山塘"
    article.save()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_article(article)  # the edit is announced like any write
    assert found("七里山塘") == [article.pk]
    # Nothing holds the old title any more: the article has only some of its words.
    hits = get_backend().search(parse_query("旧标题山塘街"), Filters(now=timezone.now())).hits
    assert [(h.article_id, h.tier) for h in hits] == [(article.pk, Tier.SOME_WORDS)]


def test_bulk_created_articles_are_indexed_in_one_go():
    rows = [
        make_article(f"第{n}届苏州国际马拉松", "跑者", published_at=at(2020 + n)) for n in range(3)
    ]
    assert get_backend().indexed_ids() == []  # on_commit did not run: no task yet
    tasks.index_new_articles.call(article_ids=[a.pk for a in rows])
    assert sorted(found("马拉松")) == sorted(a.pk for a in rows)


def test_renamed_tag_and_person_are_found_under_the_new_name(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("会议", "正文", tags=["旧标签"], credits=[("writer", "王小明")])
    tag = Tag.objects.get(name="旧标签")
    tag.name = "园区经济"
    tag.save()
    person = Person.objects.get(name="王小明")
    person.name = "王大明"
    person.save()
    for model, pk in (("content.tag", tag.pk), ("content.person", person.pk)):
        tasks.index_related_change.call(
            model=model, instance_id=pk, before=None, after=None, article_ids=[article.pk]
        )
    assert found("园区经济") == [article.pk]
    assert found("王大明") == [article.pk]


def test_an_index_failure_never_breaks_the_write(django_capture_on_commit_callbacks, monkeypatch):
    from citydesk.search.backends.postgres import PostgresBackend
    from citydesk.search.backends.sqlite_fts5 import SQLiteFTS5Backend

    def broken(self, documents):
        raise RuntimeError("index down")

    monkeypatch.setattr(SQLiteFTS5Backend, "add_bulk", broken)
    monkeypatch.setattr(PostgresBackend, "add_bulk", broken)
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("独墅湖", "")
    assert Article.objects.filter(pk=article.pk).exists()


def test_jsonl_import_indexes_as_it_imports(tmp_path, django_capture_on_commit_callbacks):
    import io
    import json

    from django.core.management import call_command

    lines = [
        {
            "id": f"VIDE{n}",
            "broadcast_date": "2020-12-29",
            "pub_time": f"2020-12-29 19:0{n}:00",
            "title": title,
            "source": "CNTV",
            "keywords": ["长三角"],
            "hl_tag": "",
            "brief": "",
            "url": f"https://example.com/{n}.shtml",
            "order": n,
            "body": body,
        }
        for n, (title, body) in enumerate(
            [("沪苏同城化提速", "两地通勤更便利。"), ("中国农业发展银行支持春耕", "贷款。")]
        )
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import",
            "jsonl",
            str(path),
            "--no-progress",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    ids = dict(Article.objects.values_list("title", "pk"))
    assert found("农业") == [ids["中国农业发展银行支持春耕"]]
    assert found("沪苏同城化") == [ids["沪苏同城化提速"]]
    assert sorted(found("长三角")) == sorted(ids.values())
