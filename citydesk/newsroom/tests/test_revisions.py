"""Revisions: every save kept, stale saves refused without losing either text, compare,
restore, and a storage policy that bounds them."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import timezone

from citydesk.newsroom import actions as workflow
from citydesk.newsroom import revisions
from citydesk.newsroom.models import Revision
from citydesk.newsroom.revisions import EditError, StaleEdit

pytestmark = pytest.mark.django_db

BODY = [{"type": "paragraph", "text": "第一段。"}, {"type": "paragraph", "text": "第二段。"}]


def test_every_save_keeps_a_revision(draft, people):
    article = draft()
    reporter = people["reporter"]
    revisions.save_text(reporter, article, {"title": "第一稿"}, base_version=0)
    revisions.save_text(reporter, article, {"title": "第二稿", "body": BODY}, base_version=1)
    assert article.version == 2 and article.title == "第二稿"
    kept = list(article.revisions.order_by("version"))
    assert [(r.version, r.fields["title"], r.author) for r in kept] == [
        (1, "第一稿", reporter),
        (2, "第二稿", reporter),
    ]
    assert kept[1].fields["body"] == BODY


def test_a_stale_save_is_refused_and_neither_text_is_lost(draft, people):
    article = draft()
    workflow.submit(people["reporter"], article)
    editor, other = people["editor"], people["editor2"]
    opened_at = article.version  # both open version 0
    revisions.save_text(editor, article, {"title": "王编改的标题"}, base_version=opened_at)
    with pytest.raises(StaleEdit, match="王编") as refused:
        revisions.save_text(other, article, {"title": "李编改的标题"}, base_version=opened_at)
    article.refresh_from_db()
    assert article.title == "王编改的标题" and article.version == 1  # not overwritten
    kept = Revision.objects.get(article=article, applied=False)
    assert kept.fields["title"] == "李编改的标题" and kept.author == other  # not lost
    stored = refused.value.stored
    assert stored is not None and stored.author == editor and refused.value.refused.pk == kept.pk
    diff = {d.name: d for d in revisions.compare(stored, kept)}
    assert diff["title"].changed and (diff["title"].left, diff["title"].right) == (
        "王编改的标题",
        "李编改的标题",
    )
    assert not diff["summary"].changed


def test_compare_shows_body_changes_side_by_side(draft, people):
    article = draft()
    user = people["reporter"]
    revisions.save_text(user, article, {"body": BODY}, base_version=0)
    changed = [BODY[0], {"type": "paragraph", "text": "改过的第二段。"}]
    revisions.save_text(user, article, {"body": changed}, base_version=1)
    old, new = article.revisions.order_by("version")
    body = next(d for d in revisions.compare(old, new) if d.name == "body")
    assert body.changed and "第二段" in body.table and "改过的第二段" in body.table
    assert "第1版" in body.table and "第2版" in body.table


def test_restore_brings_old_text_back_as_a_new_version(draft, people):
    article = draft()
    user = people["reporter"]
    revisions.save_text(user, article, {"title": "原标题"}, base_version=0)
    revisions.save_text(user, article, {"title": "改坏的标题"}, base_version=1)
    first = article.revisions.get(version=1)
    revisions.restore(user, article, first, base_version=2)
    assert (article.title, article.version) == ("原标题", 3)
    assert article.revisions.get(version=3).note == "恢复自第1版"
    assert article.revisions.count() == 3  # the history keeps what was replaced


def test_bad_saves_change_nothing(draft, people):
    article = draft()
    user = people["reporter"]
    with pytest.raises(EditError, match="标题不能为空"):
        revisions.save_text(user, article, {"title": "  "}, base_version=0)
    with pytest.raises(EditError, match="200"):
        revisions.save_text(user, article, {"title": "长" * 201}, base_version=0)
    with pytest.raises(EditError, match="内容块"):
        revisions.save_text(user, article, {"body": "不是列表"}, base_version=0)
    with pytest.raises(EditError, match="status"):
        revisions.save_text(user, article, {"status": "published"}, base_version=0)
    with pytest.raises(PermissionDenied):
        revisions.save_text(people["reporter2"], article, {"title": "别人的"}, base_version=0)
    article.refresh_from_db()
    assert article.version == 0 and article.title == "送审测试稿" and not article.revisions.exists()


def test_an_edit_of_a_live_article_shows_on_its_page(draft, people, client):
    article = draft()
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    workflow.publish(people["chief"], article)
    assert "送审测试稿" in client.get(article.get_absolute_url()).content.decode()
    revisions.save_text(people["editor"], article, {"title": "更正后的标题"}, base_version=0)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "更正后的标题" in page and "送审测试稿" not in page


def test_prune_keeps_recent_ones_and_the_newest_of_each_article(draft, people):
    article, quiet = draft(), draft()
    user = people["reporter"]
    long_ago = timezone.now() - timedelta(days=90)
    for i in range(8):
        revisions.save_text(user, article, {"title": f"旧{i}"}, base_version=i)
    revisions.save_text(user, quiet, {"title": "只改过一次"}, base_version=0)
    Revision.objects.update(at=long_ago)
    revisions.save_text(user, article, {"title": "新"}, base_version=8)
    revisions.save_text(user, article, {"title": "更新"}, base_version=9)
    assert revisions.prune(keep_days=30, keep_latest=3) == 7
    assert sorted(article.revisions.values_list("version", flat=True)) == [8, 9, 10]
    assert quiet.revisions.count() == 1  # under the limit: untouched however old
    call_command("prune_revisions", "--days", "0", "--keep", "1")
    assert article.revisions.count() == 1
    with pytest.raises(CommandError):
        call_command("prune_revisions", "--keep", "0")


def test_a_soft_lock_shows_who_is_editing_and_lapses(draft, people):
    from citydesk.newsroom import locks

    article = draft()
    editor, other = people["editor"], people["editor2"]
    assert locks.holder(article) is None
    mine = locks.take(editor, article)
    assert (mine.user, mine.user_name) == (editor, "王编")
    seen = locks.take(other, article)
    assert seen.user == editor  # the other editor is told, not given the lock
    assert getattr(locks.holder(article), "user", None) == editor
    renewed = locks.take(editor, article)
    assert renewed.pk == mine.pk and renewed.expires >= mine.expires
    type(mine).objects.filter(pk=mine.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert locks.holder(article) is None
    assert locks.take(other, article).user == other  # a lapsed lock passes on
    locks.release(editor, article)  # not the holder: nothing happens
    assert getattr(locks.holder(article), "user", None) == other
    locks.release(other, article)
    assert locks.holder(article) is None
