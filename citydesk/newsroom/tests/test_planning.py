"""报题, 选题 and 派单: the steps table (as docs/newsroom.md prints it), every cell
(role × step × state), assignments and their drafts, notices, and bad input."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from citydesk.content.models import Article, ArticleCredit, Channel
from citydesk.core.testing import REPO_ROOT
from citydesk.newsroom import actions as workflow
from citydesk.newsroom import planning
from citydesk.newsroom.models import Assignment, Notice, Proposal
from citydesk.newsroom.planning import PLAN_STEPS, PlanRefused
from citydesk.newsroom.roles import Action, Role, allows, role_of

pytestmark = pytest.mark.django_db

Status = Proposal.Status
ROLES = ["reporter", "editor", "chief", "admin"]


def later(hours: float = 6) -> datetime:
    return timezone.now() + timedelta(hours=hours)


def proposal(people, status: Status = Status.PROPOSED, title: str = "运河夜航首日") -> Proposal:
    made = planning.propose(
        people["reporter"],
        title=title,
        channel=Channel.objects.get(slug="suzhou"),
        expected_at=later(),
        media=["text", "photo"],
        angle="从船工的一天写夜航",
        sources="文旅局通气会",
    )
    if status != Status.PROPOSED:
        Proposal.objects.filter(pk=made.pk).update(status=status)
        made.refresh_from_db()
    return made


def photographer(people):
    user = people["reporter2"]
    user.groups.add(Group.objects.get(name="摄影记者"))
    return user


def test_docs_table_is_the_steps_table():
    text = (REPO_ROOT / "docs" / "newsroom.md").read_text()
    text = text.split("\n## 报题与选题", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^\| `(\w+)` \| (\S+) \| ([\w, ]+) \| (\w+) \| (—|required) \|(.*)\|$", text, re.M
    )
    assert [r[0] for r in rows] == list(PLAN_STEPS)
    for name, label, sources, target, reason, cells in rows:
        step = PLAN_STEPS[name]
        assert label == step.label and target == step.target.value, name
        assert sources.split(", ") == [s.value for s in step.sources], name
        assert (reason == "required") is step.reason_required, name
        marks = [c.strip() == "✓" for c in cells.split("|")]
        assert marks == [allows(role, planning.STEP_ACTION) for role in Role], name


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("state", list(Status))
@pytest.mark.parametrize("step", list(PLAN_STEPS))
def test_each_step_is_allowed_exactly_where_the_table_and_the_matrix_say(who, state, step, people):
    item = proposal(people, state)
    other = proposal(people, Status.APPROVED, title="另一个选题")
    user = people[who]
    allowed = allows(role_of(user), Action.PLAN) and state in PLAN_STEPS[step].sources
    assert planning.may_take(user, item, step) is allowed
    kwargs: dict[str, Any] = {"reason": "与已有选题重复", "into": other}
    if allowed:
        planning.decide(user, item, step, **kwargs)
        item.refresh_from_db()
        assert item.status == PLAN_STEPS[step].target
        assert (item.decided_by, item.reason) == (user, "与已有选题重复")
        assert (item.merged_into == other) is (step == "merge")
    else:
        with pytest.raises((PermissionDenied, PlanRefused)):
            planning.decide(user, item, step, **kwargs)
        item.refresh_from_db()
        assert (item.status, item.decided_by) == (state, None)


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_anyone_in_the_newsroom_proposes(who, people):
    if who == "outsider":
        with pytest.raises(PermissionDenied):
            planning.propose(
                people[who],
                title="外人报题",
                channel=Channel.objects.get(slug="suzhou"),
                expected_at=later(),
                media=["text"],
            )
        assert not Proposal.objects.exists()
        return
    item = planning.propose(
        people[who],
        title="  古城夜市开张  ",
        channel=Channel.objects.get(slug="suzhou"),
        expected_at=later(),
        media=["live", "text"],
    )
    assert (item.title, item.media, item.status) == ("古城夜市开张", ["text", "live"], "proposed")
    assert item.proposed_by == people[who]


def test_bad_proposals_are_refused_with_a_reason(people):
    suzhou = Channel.objects.get(slug="suzhou")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": " "}, "请填写题目"),
        ({"title": "长" * 101}, "最多 100 字"),
        ({"expected_at": timezone.now() - timedelta(minutes=1)}, "不能早于现在"),
        ({"expected_at": None}, "请填写预计刊发时间"),
        ({"media": []}, "所需形式"),
        ({"media": ["text", "podcast"]}, "所需形式"),
    ]
    for change, message in cases:
        fields: dict[str, Any] = {
            "title": "题目",
            "channel": suzhou,
            "expected_at": later(),
            "media": ["text"],
        }
        with pytest.raises(PlanRefused, match=message):
            planning.propose(people["reporter"], **{**fields, **change})
    assert not Proposal.objects.exists()


def test_rejecting_needs_a_reason_and_merging_another_live_proposal(people):
    item = proposal(people)
    with pytest.raises(PlanRefused, match="须写明理由"):
        planning.decide(people["editor"], item, "reject", reason="  ")
    with pytest.raises(PlanRefused, match="另一个选题"):
        planning.decide(people["editor"], item, "merge", into=item)
    rejected = proposal(people, Status.REJECTED, title="已否")
    with pytest.raises(PlanRefused, match="不能并入"):
        planning.decide(people["editor"], item, "merge", into=rejected)
    with pytest.raises(PlanRefused, match="未知"):
        planning.decide(people["editor"], item, "publish")
    item.refresh_from_db()
    assert item.status == Status.PROPOSED


def test_an_assignment_opens_the_draft_with_the_byline_and_tells_the_assignee(people):
    item = proposal(people, Status.APPROVED)
    writer, shooter = people["reporter"], photographer(people)
    text = planning.assign(people["editor"], item, writer, "writer", later(4))
    photo = planning.assign(people["editor"], item, shooter, "photographer", later(3))
    notice = Notice.objects.get(user=shooter)
    assert "运河夜航首日" in notice.text and "摄" in notice.text
    assert list(planning.unread_notices(writer)) == [Notice.objects.get(user=writer)]

    article = planning.open_draft(writer, text)
    assert (article.title, article.status, article.created_by) == ("运河夜航首日", "draft", writer)
    assert list(article.channels.values_list("slug", flat=True)) == ["suzhou"]
    byline = list(article.credits.order_by("position").values_list("role", "person__name"))
    assert byline == [
        (ArticleCredit.Role.WRITER, "小记"),
        (ArticleCredit.Role.PHOTOGRAPHER, "另一记者"),
    ]
    photo.refresh_from_db()
    assert photo.article == article  # one draft a 选题
    assert planning.open_draft(shooter, photo) == article

    # The photographer's piece as much as the writer's: it opens for them, and they may
    # submit it; another reporter still cannot see it.
    assert workflow.may_read(shooter, article)
    assert workflow.may_read(people["chief"], article)  # editors read every piece
    third = User.objects.create_user("第三记者")
    third.groups.add(Group.objects.get(name="记者"))
    assert not workflow.may_read(third, article)
    assert Article.objects.filter(workflow.readable(shooter)).filter(pk=article.pk).exists()
    assert not Article.objects.filter(workflow.readable(third)).filter(pk=article.pk).exists()
    workflow.submit(shooter, article)
    assert article.status == "submitted"

    assert planning.mark_read(writer) == 1 and not planning.unread_notices(writer).exists()


def test_an_assignment_later_joins_the_draft_already_opened(people):
    item = proposal(people, Status.APPROVED)
    first = planning.assign(people["editor"], item, people["reporter"], "writer", later())
    article = planning.open_draft(people["reporter"], first)
    shooter = photographer(people)
    second = planning.assign(people["editor"], item, shooter, "photographer", later())
    assert second.article == article and workflow.may_read(shooter, article)
    # They join the byline too: 稿费 is counted from it.
    byline = list(article.credits.order_by("position").values_list("role", "person__name"))
    assert byline == [("writer", "小记"), ("photographer", "另一记者")]


def test_bad_assignments_are_refused_with_a_reason(people):
    item = proposal(people, Status.APPROVED)
    editor = people["editor"]
    with pytest.raises(PermissionDenied):
        planning.assign(people["reporter"], item, people["reporter"], "writer", later())
    with pytest.raises(PlanRefused, match="不能早于现在"):
        planning.assign(editor, item, people["reporter"], "writer", timezone.now())
    with pytest.raises(PlanRefused, match="不能承担“摄”"):
        planning.assign(editor, item, people["reporter2"], "photographer", later())
    with pytest.raises(PlanRefused, match="不能承担“文”"):
        planning.assign(editor, item, people["outsider"], "writer", later())
    with pytest.raises(PlanRefused, match="未知的分工"):
        planning.assign(editor, item, people["reporter"], "driver", later())
    planning.assign(editor, item, people["reporter"], "writer", later())
    with pytest.raises(PlanRefused, match="已承担"):
        planning.assign(editor, item, people["reporter"], "writer", later())
    pending = proposal(people, title="未审的选题")
    with pytest.raises(PlanRefused, match="只有已通过的选题可以派单"):
        planning.assign(editor, pending, people["reporter"], "writer", later())
    assert Assignment.objects.count() == 1 and Notice.objects.count() == 1


def test_a_proposal_with_assignments_is_not_merged(people):
    item = proposal(people, Status.APPROVED)
    other = proposal(people, Status.APPROVED, title="另一个选题")
    planning.assign(people["editor"], item, people["reporter"], "writer", later())
    with pytest.raises(PlanRefused, match="已派单的选题不能合并"):
        planning.decide(people["editor"], item, "merge", into=other)
    item.refresh_from_db()
    assert item.status == Status.APPROVED and item.merged_into is None


def test_someone_else_cannot_open_an_assignment(people):
    item = proposal(people, Status.APPROVED)
    mine = planning.assign(people["editor"], item, people["reporter"], "writer", later())
    with pytest.raises(PermissionDenied):
        planning.open_draft(people["reporter2"], mine)
    assert planning.open_draft(people["editor"], mine).created_by == people["reporter"]


def test_late_and_due_soon(people):
    item = proposal(people, Status.APPROVED)
    soon = planning.assign(people["editor"], item, people["reporter"], "writer", later(1))
    planning.assign(people["editor"], item, people["chief"], "writer", later(24))
    assert list(planning.due_soon(people["reporter"])) == [soon]
    assert list(planning.due_soon(people["chief"])) == []
    assert list(planning.late()) == []
    two_hours_on = timezone.now() + timedelta(hours=2)
    assert list(planning.late(two_hours_on)) == [soon]
    article = planning.open_draft(people["reporter"], soon)
    workflow.submit(people["reporter"], article)  # handed in: no longer late or due
    assert list(planning.late(two_hours_on)) == [] and not planning.due_soon(people["reporter"])


def test_roles_of_the_planning_cells():
    assert {r for r in Role if allows(r, Action.PROPOSE)} == set(Role)
    assert {r for r in Role if allows(r, Action.PLAN)} == {Role.EDITOR, Role.CHIEF, Role.ADMIN}
