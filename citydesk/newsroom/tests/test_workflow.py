"""The review workflow: states, 三审, the 责编, comments, the audit trail, races."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from citydesk.content import queries
from citydesk.content.models import Article, Channel
from citydesk.newsroom import actions as workflow
from citydesk.newsroom.actions import WorkflowError
from citydesk.newsroom.roles import Role
from citydesk.newsroom.tests.conftest import make_user

pytestmark = pytest.mark.django_db
Status = Article.Status


def test_the_whole_flow_with_a_return(draft, people, client):
    article = draft()
    reporter, editor, chief = people["reporter"], people["editor"], people["chief"]
    workflow.submit(reporter, article)
    assert article.status == Status.SUBMITTED
    workflow.return_to_writer(editor, article, "请核实数据")
    assert article.status == Status.RETURNED
    workflow.submit(reporter, article, "已核实")
    workflow.approve(editor, article)
    assert article.status == Status.APPROVED
    assert article.responsible_editor is not None and article.responsible_editor.name == "王编"
    assert client.get(article.get_absolute_url()).status_code == 404  # not live yet
    workflow.publish(chief, article)
    assert article.status == Status.PUBLISHED
    page = client.get(article.get_absolute_url()).content.decode()
    assert "责编:" in page and "王编" in page  # the workflow set the page's 责编
    trail = [
        (t.actor_name, t.from_status, t.to_status, t.comment) for t in article.transitions.all()
    ]
    assert trail == [
        ("小记", "draft", "submitted", ""),
        ("王编", "submitted", "returned", "请核实数据"),
        ("小记", "returned", "submitted", "已核实"),
        ("王编", "submitted", "approved", ""),
        ("张总", "approved", "published", ""),
    ]


def test_three_stage_review_needs_three_people_and_a_chief_last(draft, people):
    Channel.objects.filter(slug="suzhou").update(three_stage_review=True)
    article = draft(channels=["suzhou"])
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article, "初审通过")
    assert (article.status, article.review_stage) == (Status.SUBMITTED, 1)
    with pytest.raises(PermissionDenied, match="两个阶段"):
        workflow.approve(people["editor"], article)
    workflow.approve(people["editor2"], article, "复审通过")
    assert (article.status, article.review_stage) == (Status.SUBMITTED, 2)
    with pytest.raises(PermissionDenied, match="终审"):
        workflow.approve(make_user("第三位编辑", Role.EDITOR), article)
    with pytest.raises(WorkflowError):
        workflow.publish(people["chief"], article)  # not approved yet
    workflow.approve(people["chief"], article, "终审通过")
    assert (article.status, article.review_stage) == (Status.APPROVED, 3)
    assert article.responsible_editor.name == "王编"  # the first reviewer
    assert [t.stage for t in article.transitions.filter(action="approve")] == [1, 2, 3]


def test_a_return_starts_the_review_over(draft, people):
    Channel.objects.filter(slug="suzhou").update(three_stage_review=True)
    article = draft(channels=["suzhou"])
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    workflow.return_to_writer(people["editor2"], article, "补图")
    workflow.submit(people["reporter"], article)
    assert article.review_stage == 0
    workflow.approve(people["editor"], article)  # a new review: the same editor may again
    assert article.review_stage == 1


def test_one_stage_elsewhere(draft, people):
    article = draft(channels=["guonei"])
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    assert article.status == Status.APPROVED


@pytest.mark.parametrize(
    "step",
    [
        lambda p, a: workflow.approve(p["editor"], a),
        lambda p, a: workflow.publish(p["chief"], a),
        lambda p, a: workflow.unpublish(p["chief"], a),
        lambda p, a: workflow.retract(p["chief"], a, "错误"),
        lambda p, a: workflow.return_to_writer(p["editor"], a, "改"),
    ],
)
def test_a_step_the_state_does_not_allow_is_refused_and_changes_nothing(step, draft, people):
    article = draft()  # a draft: none of these may happen to it
    with pytest.raises(WorkflowError, match="草稿"):
        step(people, article)
    article.refresh_from_db()
    assert article.status == Status.DRAFT and article.transitions.count() == 0


def test_comments_are_required_where_they_explain(draft, people):
    article = draft()
    workflow.submit(people["reporter"], article)
    with pytest.raises(WorkflowError, match="退回意见"):
        workflow.return_to_writer(people["editor"], article, "  ")
    workflow.approve(people["editor"], article)
    workflow.publish(people["chief"], article)
    with pytest.raises(WorkflowError, match="原因"):
        workflow.retract(people["chief"], article, "")
    assert article.status == Status.PUBLISHED


def test_nobody_approves_their_own_piece(draft, people):
    article = draft(by="editor")
    workflow.submit(people["editor"], article)
    with pytest.raises(PermissionDenied, match="自己"):
        workflow.approve(people["editor"], article)


def test_a_stale_second_action_is_refused(draft, people):
    article = draft()
    workflow.submit(people["reporter"], article)
    stale = Article.objects.get(pk=article.pk)  # the other editor's copy, read now
    workflow.approve(people["editor"], article)
    with pytest.raises(WorkflowError, match="已审核"):
        workflow.approve(people["editor2"], stale)
    assert article.transitions.filter(action="approve").count() == 1


def test_schedule_unpublish_retract(draft, people, client):
    article = draft()
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    with pytest.raises(WorkflowError, match="已经过去"):
        workflow.schedule(people["chief"], article, timezone.now() - timedelta(minutes=1))
    workflow.schedule(people["chief"], article, timezone.now() + timedelta(hours=2))
    assert article.status == Status.SCHEDULED
    workflow.publish(people["chief"], article)
    assert client.get(article.get_absolute_url()).status_code == 200
    workflow.unpublish(people["chief"], article, "暂缓")
    assert client.get(article.get_absolute_url()).status_code == 404
    workflow.retract(people["chief"], article, "报道失实")
    assert article.status == Status.RETRACTED
    assert not workflow.may_edit(people["admin"], article)
    with pytest.raises(Exception):  # noqa: B017 - any refusal: it is gone for good
        workflow.publish(people["admin"], article)
    assert article.pk not in [a.pk for a in queries.live()]


def test_a_retraction_leaves_every_surface(
    draft, people, client, django_capture_on_commit_callbacks
):
    import time

    from citydesk.rankings import actions as rankings
    from citydesk.rankings import queries as ranking_queries
    from citydesk.search.queries import search_for_script

    article = draft()
    workflow.submit(people["reporter"], article)
    workflow.approve(people["editor"], article)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(people["chief"], article)
        article.title = "古城墙修缮工程启动"
        article.save()
    rankings.record_views(article, [time.time()] * 3)
    ranking_queries.forget()
    assert article.pk in [r.article.pk for r in ranking_queries.hot()]
    assert article.pk in [r["id"] for r in search_for_script("古城墙")["results"]]
    shown = ("/rss.xml", "/suzhou/", "/", "/gundong/", "/sitemaps/news.xml")
    for url in shown:
        assert article.get_absolute_url() in client.get(url).content.decode(), url

    with django_capture_on_commit_callbacks(execute=True):
        workflow.retract(people["chief"], article, "报道失实")
    ranking_queries.forget()
    assert article.pk not in [r.article.pk for r in ranking_queries.hot()]
    assert article.pk not in [r["id"] for r in search_for_script("古城墙")["results"]]
    for url in shown:
        response = client.get(url)
        assert response.status_code == 200, url
        assert article.get_absolute_url() not in response.content.decode(), url
    assert client.get(article.get_absolute_url()).status_code == 410
