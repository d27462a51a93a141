"""报题, 选题 and 派单: a story planned before it is written.

A reporter proposes a story (报题); the planning meeting (选题会: those with the `plan`
cell) approves it, merges it into another or rejects it with a reason, and gives an
approved one its assignments (派单): a person, a part (文, 摄, 视频) and a deadline. The
assignee opens the draft from the assignment: one draft a 选题, linked to it, its byline
from the assignments. The steps are one table, PLAN_STEPS, printed in docs/newsroom.md
(a test checks the two agree, and each cell: role × step × state).

Assignees are told in the app: a Notice for each new assignment, and the dashboard's
截稿临近 (`due_soon`) for a deadline within DUE_SOON that has no submitted piece yet.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from citydesk.content import actions as content
from citydesk.content.models import Article, ArticleCredit, Channel
from citydesk.newsroom import revisions
from citydesk.newsroom.actions import display_name
from citydesk.newsroom.models import Assignment, Notice, Proposal
from citydesk.newsroom.roles import SKILLS, Action, allows, role_of

Status = Proposal.Status
DUE_SOON = timedelta(hours=3)
MAX_TITLE = 100
# The byline credit each part of an assignment gives.
CREDITS = {
    Assignment.Role.WRITER: ArticleCredit.Role.WRITER,
    Assignment.Role.PHOTOGRAPHER: ArticleCredit.Role.PHOTOGRAPHER,
    Assignment.Role.VIDEO: ArticleCredit.Role.VIDEO_EDITOR,
}
# A piece past these states is no longer late: it is in review or out.
HANDED_IN = (
    Article.Status.SUBMITTED,
    Article.Status.APPROVED,
    Article.Status.SCHEDULED,
    Article.Status.PUBLISHED,
)


class PlanRefused(ValueError):
    """A planning step that cannot be taken as asked; the message says why, in Chinese."""


@dataclass(frozen=True)
class PlanStep:
    name: str
    label: str
    sources: tuple[Status, ...]
    target: Status
    reason_required: bool


PLAN_STEPS: dict[str, PlanStep] = {
    step.name: step
    for step in (
        PlanStep("approve", "通过", (Status.PROPOSED,), Status.APPROVED, False),
        PlanStep("merge", "合并", (Status.PROPOSED, Status.APPROVED), Status.MERGED, False),
        PlanStep("reject", "不通过", (Status.PROPOSED,), Status.REJECTED, True),
        PlanStep("done", "完成", (Status.APPROVED,), Status.DONE, False),
    )
}
# Every step of the table needs the `plan` cell; 报题 itself needs `propose`.
STEP_ACTION = Action.PLAN


def _require(user: User, action: Action) -> None:
    if not allows(role_of(user), action):
        raise PermissionDenied(f"你没有“{action.label}”的权限")


def _future(at: datetime | None, what: str) -> datetime:
    if at is None:
        raise PlanRefused(f"请填写{what}")
    if at <= timezone.now():
        raise PlanRefused(f"{what}不能早于现在")
    return at


def propose(
    user: User,
    *,
    title: str,
    channel: Channel,
    expected_at: datetime | None,
    media: list[str],
    angle: str = "",
    sources: str = "",
) -> Proposal:
    """报题."""
    _require(user, Action.PROPOSE)
    title = title.strip()
    if not title:
        raise PlanRefused("请填写题目")
    if len(title) > MAX_TITLE:
        raise PlanRefused(f"题目最多 {MAX_TITLE} 字")
    unknown = set(media) - set(Proposal.Media.values)
    if unknown or not media:
        raise PlanRefused("请选择所需形式（文字、图片、视频、直播）")
    return Proposal.objects.create(
        title=title,
        angle=angle.strip(),
        channel=channel,
        expected_at=_future(expected_at, "预计刊发时间"),
        media=[m for m in Proposal.Media.values if m in media],
        sources=sources.strip(),
        proposed_by=user,
    )


def decide(
    user: User,
    proposal: Proposal,
    step_name: str,
    *,
    reason: str = "",
    into: Proposal | None = None,
) -> Proposal:
    """Take one of PLAN_STEPS on the 选题 (under a row lock: of two editors deciding at
    once, the second finds the new state and a clear refusal)."""
    step = PLAN_STEPS.get(step_name)
    if step is None:
        raise PlanRefused("未知的选题操作")
    _require(user, STEP_ACTION)
    if step.reason_required and not reason.strip():
        raise PlanRefused(f"{step.label}须写明理由")
    with transaction.atomic():
        # Both locked, in one order: two merges at once (A into B, B into A) wait.
        pks = sorted({proposal.pk} | ({into.pk} if into is not None else set()))
        locked = {p.pk: p for p in Proposal.objects.select_for_update().filter(pk__in=pks)}
        current = locked[proposal.pk]
        if current.status not in step.sources:
            raise PlanRefused(f"选题现在是“{current.get_status_display()}”，不能{step.label}")
        if step.target == Status.MERGED:
            if into is None or into.pk == current.pk:
                raise PlanRefused("请选择要并入的另一个选题")
            target = locked[into.pk]
            if target.status not in (Status.PROPOSED, Status.APPROVED):
                raise PlanRefused(f"不能并入“{target.get_status_display()}”的选题")
            if current.assignments.exists():
                raise PlanRefused("已派单的选题不能合并：请在它上面完成报道")
            current.merged_into = target
        current.status = step.target
        current.reason = reason.strip()
        current.decided_by, current.decided_at = user, timezone.now()
        current.save()
    proposal.refresh_from_db()
    return proposal


def may_take(user: User, proposal: Proposal, step_name: str) -> bool:
    step = PLAN_STEPS[step_name]
    return allows(role_of(user), STEP_ACTION) and proposal.status in step.sources


def has_skill(user: User, role: str) -> bool:
    """Whether `user` may be given this part: any newsroom member writes; 摄 and 视频 need
    the group that says they do it (roles.SKILLS)."""
    if not allows(role_of(user), Action.CREATE):
        return False
    group = SKILLS.get(role)
    return group is None or user.groups.filter(name=group).exists()


def assign(
    user: User, proposal: Proposal, person: User, role: str, deadline: datetime | None
) -> Assignment:
    """派单: `person` takes `role` on the approved 选题 by `deadline`, and is told so."""
    _require(user, STEP_ACTION)
    if role not in Assignment.Role.values:
        raise PlanRefused("未知的分工")
    label = Assignment.Role(role).label
    if not has_skill(person, role):
        raise PlanRefused(f"{display_name(person)} 不能承担“{label}”")
    deadline = _future(deadline, "截稿时间")
    with transaction.atomic():
        current = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if current.status != Status.APPROVED:
            raise PlanRefused(f"只有已通过的选题可以派单（现在是“{current.get_status_display()}”）")
        if current.assignments.filter(person=person, role=role).exists():
            raise PlanRefused(f"{display_name(person)} 已承担这个选题的“{label}”")
        # A draft already opened for the 选题 is this assignee's piece too, and their
        # name joins its byline (what 稿费 is counted from).
        opened = current.assignments.exclude(article=None).values_list("article_id", flat=True)
        assignment = Assignment.objects.create(
            proposal=current,
            person=person,
            role=role,
            deadline=deadline,
            assigned_by=user,
            article_id=opened.first(),
        )
        if assignment.article_id is not None:
            article = Article.objects.get(pk=assignment.article_id)
            byline = [(c.role, c.person.name) for c in article.credits.select_related("person")]
            content.set_byline(
                article, [*byline, (CREDITS[Assignment.Role(role)].value, display_name(person))]
            )
        Notice.objects.create(
            user=person,
            text=f"新派单：{current.title}（{label}，"
            f"{timezone.localtime(deadline):%m-%d %H:%M} 截稿）",
            url=reverse("newsroom:plan"),
        )
    return assignment


def open_draft(user: User, assignment: Assignment) -> Article:
    """The 选题's draft, made by the first assignee who opens it (their own piece), its
    byline the assignees' names by part; every assignment of the 选题 is linked to it."""
    if assignment.person_id != user.pk and not allows(role_of(user), STEP_ACTION):
        raise PermissionDenied("这不是你的派单")
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=assignment.proposal_id)
        parts = list(proposal.assignments.select_related("person", "article"))
        opened = next((a.article for a in parts if a.article is not None), None)
        if opened is None:
            if proposal.status != Status.APPROVED:
                raise PlanRefused("只有已通过的选题可以开始写稿")
            credits = [
                (CREDITS[Assignment.Role(a.role)].value, display_name(a.person))
                for a in sorted(parts, key=lambda a: list(Assignment.Role.values).index(a.role))
            ]
            opened = revisions.create_draft(
                assignment.person,
                {"title": proposal.title},
                channels=[proposal.channel],
                credits=credits,
            )
        proposal.assignments.filter(article=None).update(article=opened)
    return opened


def late(now: datetime | None = None) -> QuerySet[Assignment]:
    """Assignments past their deadline whose piece is not handed in."""
    now = now or timezone.now()
    return (
        Assignment.objects.filter(deadline__lt=now, proposal__status=Status.APPROVED)
        .exclude(article__status__in=HANDED_IN)
        .select_related("proposal", "person", "article")
    )


def due_soon(user: User, now: datetime | None = None) -> QuerySet[Assignment]:
    """`user`'s assignments due within DUE_SOON (or late) and not handed in: the
    dashboard's 截稿临近."""
    now = now or timezone.now()
    return (
        Assignment.objects.filter(
            person=user, deadline__lt=now + DUE_SOON, proposal__status=Status.APPROVED
        )
        .exclude(article__status__in=HANDED_IN)
        .select_related("proposal", "article")
    )


def unread_notices(user: User) -> QuerySet[Notice]:
    return Notice.objects.filter(user=user, read_at=None)


def mark_read(user: User) -> int:
    return unread_notices(user).update(read_at=timezone.now())


def plan(start: datetime, end: datetime) -> QuerySet[Proposal]:
    """The 选题 expected between start and end that are still in play, with their
    assignments: the plan view's days."""
    return (
        Proposal.objects.filter(expected_at__gte=start, expected_at__lt=end)
        .filter(Q(status=Status.PROPOSED) | Q(status=Status.APPROVED) | Q(status=Status.DONE))
        .select_related("channel", "proposed_by")
        .prefetch_related("assignments__person", "assignments__article")
    )
