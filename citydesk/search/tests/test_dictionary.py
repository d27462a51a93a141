"""The local dictionary: editors add words in the newsroom, bylines add people."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from citydesk.core import text
from citydesk.search import dictionary, queries
from citydesk.search.actions import reindex
from citydesk.search.models import DictionaryWord
from citydesk.search.tests.conftest import make_article

pytestmark = pytest.mark.django_db


def found(q: str) -> list[int]:
    return [item.article.pk for item in queries.search(q).items]


def test_first_words_come_with_the_migration():
    dictionary.refresh(force=True)
    assert {"沪苏同城化", "姑苏区"} <= text.segmenter.local_words


def test_people_in_bylines_are_words(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_article("会议", "正文", credits=[("writer", "钱茹冰")])
    assert "钱茹冰" in text.segmenter.local_words


def test_a_word_added_in_the_admin_works_for_the_next_query_without_reindex(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article("推进苏锡常一体化", "", published_at=None)
        other = make_article("无锡常州两地交流", "苏锡两地")
    assert "苏锡常一体化" not in text.segmenter.local_words
    editor = User.objects.create_superuser("boss", "b@example.com", "pw")
    client = Client()
    client.force_login(editor)
    response = client.post(
        "/admin/search/dictionaryword/add/", {"word": "苏锡常一体化", "note": "区域协同"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = queries.search("苏锡常一体化")
    assert "苏锡常一体化" in text.segmenter.local_words  # loaded by this very query
    assert [i.article.pk for i in page.items] == [article.pk]
    assert other.pk not in found("苏锡常一体化")
    # The rebuild makes the article hold the word whole; it is found the same way after.
    assert reindex(containing="苏锡常一体化").indexed == 1
    assert found("苏锡常一体化") == [article.pk]


def test_another_process_sees_a_new_word_within_seconds(monkeypatch):
    dictionary.refresh(force=True)
    clock = [1000.0]
    monkeypatch.setattr(dictionary.time, "monotonic", lambda: clock[0])
    dictionary.refresh(force=True)
    # Written by another process: no signal reaches this one.
    DictionaryWord.objects.bulk_create([DictionaryWord(word="金鸡湖大道")])
    dictionary.refresh()
    assert "金鸡湖大道" not in text.segmenter.local_words
    clock[0] += dictionary.CHECK_SECONDS + 0.1
    dictionary.refresh()
    assert "金鸡湖大道" in text.segmenter.local_words


def test_removed_word_is_forgotten():
    word = DictionaryWord.objects.create(word="独墅湖科教创新区")
    dictionary.refresh(force=True)
    assert "独墅湖科教创新区" in text.segmenter.local_words
    word.delete()
    dictionary.refresh()
    assert "独墅湖科教创新区" not in text.segmenter.local_words


def test_admin_refuses_a_word_with_no_letters():
    editor = User.objects.create_superuser("boss", "b@example.com", "pw")
    client = Client()
    client.force_login(editor)
    response = client.post("/admin/search/dictionaryword/add/", {"word": "！！", "note": ""})
    assert response.status_code == 200
    assert "词语须有" in response.content.decode()
    assert not DictionaryWord.objects.filter(word="！！").exists()
