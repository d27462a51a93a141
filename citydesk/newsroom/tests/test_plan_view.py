"""The plan view (/newsroom/plan/) and the dashboard's notices: a reporter proposes, an
editor approves and assigns, the assignee is told and opens the draft; forged and bad
posts change nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from citydesk.content.models import Channel
from citydesk.newsroom.models import Assignment, Notice, Proposal

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def propose_post(**change) -> dict:
    fields = {
        "do": "propose",
        "p-title": "运河夜航首日",
        "p-angle": "从船工的一天写夜航",
        "p-channel": Channel.objects.get(slug="suzhou").pk,
        "p-expected_at": local(timezone.now() + timedelta(hours=5)),
        "p-kinds": ["text", "photo"],
        "p-sources": "文旅局通气会",
    }
    return {**fields, **change}


def test_a_story_from_proposal_to_draft(people):
    reporter, editor = logged_in(people["reporter"]), logged_in(people["editor"])
    page = reporter.get("/newsroom/plan/").content.decode()
    assert "报题" in page and "我的派单" in page and 'name="step"' not in page

    assert reporter.post("/newsroom/plan/", propose_post()).status_code == 302
    item = Proposal.objects.get()
    assert (item.title, item.media, item.proposed_by) == (
        "运河夜航首日",
        ["text", "photo"],
        people["reporter"],
    )

    page = editor.get("/newsroom/plan/").content.decode()
    assert "运河夜航首日" in page and 'value="approve"' in page and 'value="reject"' in page
    editor.post("/newsroom/plan/", {"do": "decide", "proposal": item.pk, "step": "approve"})
    item.refresh_from_db()
    assert item.status == "approved"
    deadline = local(timezone.now() + timedelta(hours=2))
    editor.post(
        "/newsroom/plan/",
        {"do": "assign", "proposal": item.pk, "a-person": people["reporter"].pk,
         "a-role": "writer", "a-deadline": deadline},
    )  # fmt: skip
    part = Assignment.objects.get()
    assert (part.person, part.role) == (people["reporter"], "writer")

    board = reporter.get("/newsroom/").content.decode()
    assert "新派单：运河夜航首日" in board and "截稿临近" in board and "选题策划" in board
    assert "我的派单" in board and "未开始" in board
    opened = reporter.post("/newsroom/plan/", {"do": "open", "assignment": part.pk})
    part.refresh_from_db()
    assert part.article is not None
    assert opened["Location"] == f"/newsroom/a/{part.article.pk}/edit/"
    assert reporter.get(opened["Location"]).status_code == 200
    assert reporter.post("/newsroom/plan/", {"do": "read"}).status_code == 302
    assert not Notice.objects.filter(read_at=None).exists()
    assert "新派单" not in reporter.get("/newsroom/").content.decode()

    page = editor.get("/newsroom/plan/").content.decode()
    assert "人员安排" in page and "小记" in page and "今日选题" in page


def test_forged_and_bad_posts_change_nothing(people):
    reporter, editor = logged_in(people["reporter"]), logged_in(people["editor"])
    reporter.post("/newsroom/plan/", propose_post())
    item = Proposal.objects.get()
    # A reporter may not decide or assign, whatever the form says.
    assert (
        reporter.post(
            "/newsroom/plan/", {"do": "decide", "proposal": item.pk, "step": "approve"}
        ).status_code
        == 403
    )
    item.refresh_from_db()
    assert item.status == "proposed"
    # Bad input: a clear message, nothing stored.
    page = reporter.post("/newsroom/plan/", propose_post(**{"p-title": ""}), follow=True)
    assert page.status_code == 200 and "这个字段是必填项" in page.content.decode()
    past = local(timezone.now() - timedelta(hours=1))
    page = reporter.post("/newsroom/plan/", propose_post(**{"p-expected_at": past}), follow=True)
    assert "不能早于现在" in page.content.decode()
    assert Proposal.objects.count() == 1
    page = editor.post(
        "/newsroom/plan/", {"do": "decide", "proposal": item.pk, "step": "reject"}, follow=True
    )
    assert "须写明理由" in page.content.decode()
    editor.post("/newsroom/plan/", {"do": "decide", "proposal": item.pk, "step": "approve"})
    page = editor.post(
        "/newsroom/plan/",
        {"do": "assign", "proposal": item.pk, "a-person": people["reporter2"].pk,
         "a-role": "photographer", "a-deadline": local(timezone.now() + timedelta(hours=3))},
        follow=True,
    )  # fmt: skip
    assert "不能承担“摄”" in page.content.decode()
    page = editor.post(
        "/newsroom/plan/",
        {"do": "assign", "proposal": item.pk, "a-person": people["reporter"].pk,
         "a-role": "writer", "a-deadline": "明天"},
        follow=True,
    )  # fmt: skip
    assert "有效的日期" in page.content.decode()
    assert not Assignment.objects.exists()
    assert editor.post("/newsroom/plan/", {"do": "open", "assignment": "x"}).status_code == 404
    assert editor.post("/newsroom/plan/", {"do": "decide", "proposal": "9999"}).status_code == 404


def test_only_the_newsroom_sees_the_plan(people):
    assert Client().get("/newsroom/plan/").status_code == 302  # to the login page
    assert logged_in(people["outsider"]).get("/newsroom/plan/").status_code == 403
