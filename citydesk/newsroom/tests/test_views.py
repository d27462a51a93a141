"""The dashboard and the workflow's buttons: forged posts are 403s and change nothing."""

import pytest
from django.test import Client

from citydesk.content.models import Article
from citydesk.newsroom import actions as workflow

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_dashboard_shows_each_list(draft, people):
    mine = draft()
    returned = draft()
    workflow.submit(people["reporter"], returned)
    workflow.return_to_writer(people["editor"], returned, "补充采访")
    waiting = draft(by="reporter2")
    workflow.submit(people["reporter2"], waiting)
    live = draft(by="reporter2")
    workflow.submit(people["reporter2"], live)
    workflow.approve(people["editor"], live)
    workflow.publish(people["chief"], live)

    page = logged_in(people["reporter"]).get("/newsroom/").content.decode()
    drafts_html = page[page.index('id="my-drafts"') : page.index('id="waiting"')]
    assert mine.title in drafts_html and "退回" in drafts_html
    assert f"/newsroom/a/{mine.pk}/submit/" in drafts_html  # a button a reporter may use
    assert "/approve/" not in page and "/publish/" not in page  # none they may not

    editor_page = logged_in(people["editor"]).get("/newsroom/").content.decode()
    waiting_html = editor_page[
        editor_page.index('id="waiting"') : editor_page.index('id="scheduled"')
    ]
    assert f"/newsroom/a/{waiting.pk}/approve/" in waiting_html
    today = editor_page[editor_page.index('id="published-today"') :]
    assert live.title in today


def test_pieces_without_a_newsroom_author_are_listed_too(people):
    from citydesk.content import actions
    from citydesk.content.actions import ArticleData

    # An import: no account wrote it. Published now, not an hour ago: between midnight
    # and one in Beijing, an hour ago is yesterday, off the 今日已发布 list.
    imported = actions.create_article(
        ArticleData(title="导入的稿件", body=[]), status=Article.Status.PUBLISHED
    )
    response = logged_in(people["chief"]).get("/newsroom/")
    assert response.status_code == 200 and imported.title in response.content.decode()


def test_outsiders_and_anonymous_readers_are_kept_out(people):
    assert Client().get("/newsroom/").status_code == 302  # to the login page
    assert logged_in(people["outsider"]).get("/newsroom/").status_code == 403


@pytest.mark.parametrize(
    ("who", "step"),
    [
        ("reporter", "approve"),
        ("reporter", "publish"),
        ("editor", "publish"),
        ("editor", "retract"),
    ],
)
def test_a_forged_post_is_a_403_and_changes_nothing(draft, people, who, step):
    article = draft(by="reporter2")
    workflow.submit(people["reporter2"], article)
    if step in ("publish", "retract"):
        workflow.approve(people["editor2"], article)
    if step == "retract":
        workflow.publish(people["chief"], article)
    before = (Article.objects.get(pk=article.pk).status, article.transitions.count())
    response = logged_in(people[who]).post(f"/newsroom/a/{article.pk}/{step}/", {"comment": "伪造"})
    # A reporter cannot even see a colleague's piece under review (embargo): a 404.
    assert response.status_code == (404 if who == "reporter" else 403)
    assert (Article.objects.get(pk=article.pk).status, article.transitions.count()) == before


def test_the_buttons_move_the_article_and_say_so(draft, people):
    article = draft()
    reporter = logged_in(people["reporter"])
    response = reporter.post(f"/newsroom/a/{article.pk}/submit/", follow=True)
    assert Article.objects.get(pk=article.pk).status == Article.Status.SUBMITTED
    assert "待审" in response.content.decode()
    editor = logged_in(people["editor"])
    response = editor.post(f"/newsroom/a/{article.pk}/return/", {"comment": ""}, follow=True)
    assert "退回意见" in response.content.decode()  # refused with the reason, not a crash
    assert Article.objects.get(pk=article.pk).status == Article.Status.SUBMITTED
    assert editor.get(f"/newsroom/a/{article.pk}/approve/").status_code == 405  # POST only
    assert editor.post(f"/newsroom/a/{article.pk}/explode/").status_code == 404
    assert editor.post("/newsroom/a/999999/approve/").status_code == 404
