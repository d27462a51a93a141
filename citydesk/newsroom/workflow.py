"""The review workflow as data: one table of its steps, read by everything else.

Each step names the states it starts from, the state it ends in, the cell of the
permission matrix (citydesk.newsroom.roles.MATRIX) it needs, whose piece it may be taken
on, whether it needs a comment and whether it runs the sensitive-word check.
citydesk.newsroom.actions takes the steps by this table, the newsroom's screens and the
admin offer the steps it allows, and docs/newsroom.md prints it (a test checks the two
agree, and another each cell: role × step × state).
"""

from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import User

from citydesk.content.models import Article
from citydesk.newsroom.models import Assignment
from citydesk.newsroom.roles import Action, Role, allows, role_of

Status = Article.Status
COMPUTED = "computed"  # the target of 审核通过: the next stage, or approved after the last


class Whose(StrEnum):
    """Whose piece a step may be taken on, beyond the matrix's cell."""

    ANY = "any"
    # The writer's own; someone with the `edit_others` cell takes it on anyone's.
    OWN_OR_EDIT_OTHERS = "own, or edit_others"
    NOT_OWN = "not own"  # never the writer's own (nobody approves their own piece)


@dataclass(frozen=True)
class Step:
    name: str  # the URL's and the Transition's name of the step: the matrix cell's value
    label: str  # what the buttons say
    sources: tuple[Status, ...]  # the states it starts from
    target: Status | None  # None: computed (审核通过: submitted until the last stage)
    action: Action  # the matrix cell it needs
    whose: Whose
    comment_required: bool
    checks_words: bool  # runs the sensitive-word check (a chief editor may override)
    comment_name: str = "意见"  # what the comment is called (its box's placeholder)
    needs_time: bool = False  # 定时发布: asks for a time

    @property
    def target_name(self) -> str:
        return self.target.value if self.target is not None else COMPUTED

    def missing_comment(self) -> str:
        """The refusal of a step taken without its required comment."""
        return f"{self.label}必须写明{self.comment_name}"


_RELEASABLE = (Status.APPROVED, Status.SCHEDULED, Status.UNPUBLISHED)

STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            "submit", "送审", (Status.DRAFT, Status.RETURNED), Status.SUBMITTED,
            Action.SUBMIT, Whose.OWN_OR_EDIT_OTHERS, comment_required=False, checks_words=True,
        ),
        Step(
            "return", "退回", (Status.SUBMITTED, Status.APPROVED), Status.RETURNED,
            Action.RETURN, Whose.ANY, comment_required=True, checks_words=False,
            comment_name="退回意见",
        ),
        Step(
            "approve", "审核通过", (Status.SUBMITTED,), None,
            Action.APPROVE, Whose.NOT_OWN, comment_required=False, checks_words=False,
        ),
        Step(
            "publish", "签发", _RELEASABLE, Status.PUBLISHED,
            Action.PUBLISH, Whose.ANY, comment_required=False, checks_words=True,
        ),
        Step(
            # From scheduled too: a new time reschedules it.
            "schedule", "定时发布", _RELEASABLE, Status.SCHEDULED,
            Action.SCHEDULE, Whose.ANY, comment_required=False, checks_words=True,
            needs_time=True,
        ),
        Step(
            "unpublish", "撤下", (Status.PUBLISHED, Status.SCHEDULED), Status.UNPUBLISHED,
            Action.UNPUBLISH, Whose.ANY, comment_required=False, checks_words=False,
        ),
        Step(
            "retract", "撤稿", (Status.PUBLISHED, Status.SCHEDULED, Status.UNPUBLISHED),
            Status.RETRACTED, Action.RETRACT, Whose.ANY, comment_required=True,
            checks_words=False, comment_name="撤稿原因",
        ),
    )
}  # fmt: skip


def is_writer(user: User, article: Article) -> bool:
    """Whether the piece is `user`'s own: they created it, or a 选题 assigned it to them
    (planning: the photographer's piece as much as the writer's)."""
    if article.created_by_id is not None and article.created_by_id == user.pk:
        return True
    return (
        article.pk is not None and Assignment.objects.filter(article=article, person=user).exists()
    )


def role_refusal(role: Role | None, step: Step, *, own: bool) -> str | None:
    """Why a user of `role` may not take `step` on a piece (their own or not), by the
    matrix and the step's `whose`; None when they may."""
    if not allows(role, step.action):
        return f"你没有“{step.action.label}”的权限"
    if step.whose is Whose.OWN_OR_EDIT_OTHERS and not own and not allows(role, Action.EDIT_OTHERS):
        return f"只能{step.label}自己的稿件"
    if step.whose is Whose.NOT_OWN and own:
        return f"不能{step.label}自己写的稿件"
    return None


def state_refusal(status: str, step: Step) -> str | None:
    """Why the article's state does not allow `step`; None when it does."""
    if status in step.sources:
        return None
    return f"稿件现在是“{Status(status).label}”，不能{step.label}"


def offered(user: User, article: Article) -> list[Step]:
    """The steps to offer `user` on `article`: the table allows them for its state, the
    user's role and whose piece it is. The actions check again when one is taken (and the
    rules that need the record: under 三审, who approved the earlier stages)."""
    role = role_of(user)
    own = is_writer(user, article)
    return [
        step
        for step in STEPS.values()
        if state_refusal(article.status, step) is None and role_refusal(role, step, own=own) is None
    ]
