"""图文直播 in the newsroom: who may post, the sensitive-word check, and forged posts."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, LiveCoverage, LiveUpdate
from citydesk.newsroom.models import SensitiveWord

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(people):
    article = actions.create_article(
        ArticleData(
            title="台风“海燕”实时播报",
            body=[{"type": "paragraph", "text": "台风来袭。"}],
            channels=["suzhou"],
        ),
        status=Article.Status.PUBLISHED,
        created_by=people["reporter"],
    )
    return article


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start(client: Client, article: Article) -> None:
    starts = (timezone.localtime() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/newsroom/a/{article.pk}/live/", {"action": "coverage", "starts_at": starts}
    )
    assert response.status_code == 302


def test_an_editor_starts_it_and_the_writer_posts_from_the_form(people, live):
    editor, writer = as_user(people["editor"]), as_user(people["reporter"])
    page = editor.get(f"/newsroom/a/{live.pk}/live/")
    assert page.status_code == 200 and "设为图文直播" in page.content.decode()
    start(editor, live)
    assert LiveCoverage.objects.get(pk=live.pk).state() == LiveCoverage.State.LIVE

    response = writer.post(
        f"/newsroom/a/{live.pk}/live/",
        {"action": "post", "text": "风力已达十级。", "author": "小记"},
        follow=True,
    )
    assert "已发布" in response.content.decode()
    update = LiveUpdate.objects.get()
    assert update.author is not None
    assert (update.text, update.author.name, update.created_by) == (
        "风力已达十级。",
        "小记",
        people["reporter"],
    )
    # A writer cannot set the times; another reporter cannot post at all.
    refused = writer.post(f"/newsroom/a/{live.pk}/live/", {"action": "end"})
    assert refused.status_code == 403
    assert (
        as_user(people["reporter2"])
        .post(f"/newsroom/a/{live.pk}/live/", {"action": "post", "text": "x"})
        .status_code
        == 403
    )
    assert LiveCoverage.objects.get(pk=live.pk).ends_at is None

    writer.post(f"/newsroom/a/{live.pk}/live/", {"action": "pin", "update": update.pk})
    writer.post(
        f"/newsroom/a/{live.pk}/live/",
        {"action": "edit", "update": update.pk, "text": "风力十一级。"},
    )
    update.refresh_from_db()
    assert (update.pinned, update.text) == (True, "风力十一级。") and update.edited_at is not None
    editor.post(f"/newsroom/a/{live.pk}/live/", {"action": "end"})
    ended = writer.post(
        f"/newsroom/a/{live.pk}/live/", {"action": "post", "text": "结束后"}, follow=True
    )
    assert "直播已结束" in ended.content.decode()
    writer.post(f"/newsroom/a/{live.pk}/live/", {"action": "delete", "update": update.pk})
    assert LiveUpdate.objects.count() == 0  # a mistake comes down even after the end


def test_sensitive_words_are_refused_unless_a_signing_editor_lets_them_through(people, live):
    SensitiveWord.objects.create(word="谣言")
    editor, chief = as_user(people["editor"]), as_user(people["chief"])
    start(editor, live)
    refused = editor.post(
        f"/newsroom/a/{live.pk}/live/", {"action": "post", "text": "网传停水是谣言。"}, follow=True
    )
    assert "敏感词" in refused.content.decode() and LiveUpdate.objects.count() == 0
    overridden = chief.post(
        f"/newsroom/a/{live.pk}/live/",
        {"action": "post", "text": "网传停水是谣言。", "override_reason": "辟谣，须保留原词"},
        follow=True,
    )
    assert "敏感词放行" in overridden.content.decode()
    update = LiveUpdate.objects.get()
    # Pinning reads no text: the word let through does not block it.
    editor.post(
        f"/newsroom/a/{live.pk}/live/", {"action": "pin", "update": update.pk, "text": update.text}
    )
    update.refresh_from_db()
    assert update.pinned


def test_forged_and_hostile_posts_change_nothing(people, live):
    editor = as_user(people["editor"])
    start(editor, live)
    url = f"/newsroom/a/{live.pk}/live/"
    assert Client().post(url, {"action": "post", "text": "匿名"}).status_code == 302  # to the login
    assert (
        as_user(people["outsider"]).post(url, {"action": "post", "text": "路人"}).status_code == 403
    )
    for forged in [
        {"action": "delete", "update": "abc"},
        {"action": "edit", "update": "99999", "text": "x"},
    ]:
        assert editor.post(url, forged).status_code == 404
    big = editor.post(url, {"action": "post", "text": "长" * 100_000}, follow=True)
    assert "最多 2000 字" in big.content.decode()
    odd = editor.post(url, {"action": "explode"}, follow=True)
    assert "没有这个操作" in odd.content.decode()
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(people["editor"])
    assert csrf.post(url, {"action": "post", "text": "无令牌"}).status_code == 403
    assert LiveUpdate.objects.count() == 0
