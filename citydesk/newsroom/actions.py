"""The review workflow: every change of an article's state, in the newsroom and the admin.

    draft → submitted → (returned, with a comment → submitted …) → approved
          → published or scheduled → unpublished or retracted (撤稿)

The steps are the table citydesk.newsroom.workflow.STEPS: each function checks the
user's role against its cell of citydesk.newsroom.roles.MATRIX and whose piece it is
(raising PermissionDenied, a 403 in a view), its required comment, then, under a row lock
(two editors acting at once cannot both move it), the article's state and, where the
table says so, the sensitive words; and writes a Transition. The state itself is changed
through citydesk.content.actions (the one door), which purges the page cache and updates
the search index.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from citydesk.content import actions as content
from citydesk.content.models import Article
from citydesk.newsroom import sensitive, workflow
from citydesk.newsroom.models import Assignment, Transition
from citydesk.newsroom.roles import Action, Role, allows, role_of

Status = Article.Status
THREE_STAGES = ("初审", "复审", "终审")


class WorkflowError(ValueError):
    """A step the article's state does not allow; the message says why, in Chinese."""


class SensitiveWords(WorkflowError):
    """The piece holds listed words (citydesk.newsroom.sensitive); `hits` says where."""

    def __init__(self, hits: list[sensitive.Hit]) -> None:
        words = "、".join(dict.fromkeys(hit.word for hit in hits))
        super().__init__(f"稿件含有敏感词：{words}。请修改；确需保留的，由签发编辑填写理由后放行")
        self.hits = hits


def let_through(user: User, hits: list[sensitive.Hit], override_reason: str) -> str:
    """What the record keeps of letting `hits` through ("" when there are none); raises
    SensitiveWords for hits nobody let through, PermissionDenied for an override by
    someone who may not give one."""
    if not hits:
        return ""
    if not override_reason.strip():
        raise SensitiveWords(hits)
    _require(user, Action.OVERRIDE)
    words = "、".join(dict.fromkeys(hit.word for hit in hits))
    return f"敏感词放行（{words}）：{override_reason.strip()}"


def display_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def _require(user: User, action: Action) -> Role:
    role = role_of(user)
    if role is None or not allows(role, action):
        raise PermissionDenied(f"你没有“{action.label}”的权限")
    return role


def stages_needed(article: Article) -> int:
    """1, or 3 where any of the article's channels has 三审 switched on."""
    return 3 if article.channels.filter(three_stage_review=True).exists() else 1


def may_read(user: User, article: Article) -> bool:
    """Whether `user` may open the piece in the editor, preview or history: a piece not
    live yet (a draft, one under review, scheduled, taken down) is under embargo, readable
    by its writer and by those with the `read_others` cell only."""
    role = role_of(user)
    if role is None:
        return False
    if article.is_live:
        return True
    return workflow.is_writer(user, article) or allows(role, Action.READ_OTHERS)


def readable(user: User) -> Q:
    """`may_read` as a filter on articles: every live one, and those not live yet that
    `user` wrote or, with the `read_others` cell, anyone's; none without a role."""
    role = role_of(user)
    if role is None:
        return Q(pk__in=[])
    live = Q(status=Status.PUBLISHED, published_at__lte=timezone.now())
    if allows(role, Action.READ_OTHERS):
        return Q()
    assigned = Assignment.objects.filter(person=user).values("article_id")
    return live | Q(created_by=user) | Q(pk__in=assigned)


def may_post_live(user: User, article: Article) -> bool:
    """Whether `user` may post to the article's 图文直播: its writer, or an editor; an
    update is news as it happens, so it is not reviewed first (the sensitive words are
    still checked), and nobody posts to a retracted piece."""
    role = role_of(user)
    if role is None or article.status == Status.RETRACTED:
        return False
    return allows(role, Action.EDIT_OTHERS) or workflow.is_writer(user, article)


def may_edit(user: User, article: Article) -> bool:
    """Whether `user` may change the article's text now.

    A writer edits their own piece while it is a draft or returned to them; editors edit
    anyone's at any stage but after a retraction, which is final.
    """
    role = role_of(user)
    if article.status == Status.RETRACTED:
        return False
    if allows(role, Action.EDIT_OTHERS):
        return True
    return (
        workflow.is_writer(user, article)
        and allows(role, Action.EDIT_OWN)
        and article.status in (Status.DRAFT, Status.RETURNED)
    )


def _check_request(user: User, article: Article, step: workflow.Step, comment: str) -> Role | None:
    """The checks that need no lock: the matrix cell, whose piece it is, the comment."""
    role = role_of(user)
    refusal = workflow.role_refusal(role, step, own=workflow.is_writer(user, article))
    if refusal is not None:
        raise PermissionDenied(refusal)
    if step.comment_required and not comment.strip():
        raise WorkflowError(step.missing_comment())
    return role


def _check_approval(user: User, role: Role | None, current: Article) -> int:
    """The rules of 三审 beyond the table, on the record; returns the stage approved."""
    stage = current.review_stage + 1
    needed = stages_needed(current)
    if stage == needed and needed > 1 and not allows(role, Action.PUBLISH):
        raise PermissionDenied("三审的终审须由签发编辑完成")
    since = current.transitions.filter(action=Action.SUBMIT).order_by("-at", "-id").first()
    approvals = current.transitions.filter(action=Action.APPROVE)
    if since is not None:
        approvals = approvals.filter(id__gt=since.id)
    if approvals.filter(actor=user).exists():
        raise PermissionDenied("同一人不能审核同一稿件的两个阶段")
    return stage


def _check_state(
    user: User,
    role: Role | None,
    current: Article,
    step: workflow.Step,
    comment: str,
    override_reason: str,
    text: dict[str, Any] | None = None,
) -> str:
    """The checks on the article as it is (under the lock when taking the step): its
    state, 三审's rules, the sensitive words of `text` (default: the stored text).
    Returns the comment to record, with the note of any words let through."""
    refusal = workflow.state_refusal(current.status, step)
    if refusal is not None:
        raise WorkflowError(refusal)
    if step.action is Action.APPROVE:
        _check_approval(user, role, current)
    if step.checks_words:
        hits = sensitive.check(text) if text is not None else sensitive.check_article(current)
        overridden = let_through(user, hits, override_reason)
        comment = "；".join(part for part in (comment, overridden) if part)
    return comment


def check(
    user: User,
    article: Article,
    name: str,
    comment: str = "",
    *,
    override_reason: str = "",
    text: dict[str, Any] | None = None,
) -> None:
    """Raise what taking step `name` would raise now (PermissionDenied, WorkflowError,
    SensitiveWords), changing nothing. `text`: the fields sensitive.FIELDS as they will
    be when the step is taken (a form checked before it saves); an unsaved `article`
    is checked as it is in memory."""
    step = _step_named(name)
    role = _check_request(user, article, step, comment)
    current = article
    if article.pk is not None:
        current = Article.objects.get(pk=article.pk)
    _check_state(user, role, current, step, comment.strip(), override_reason, text)


def _step_named(name: str) -> workflow.Step:
    step = workflow.STEPS.get(name)
    if step is None:
        raise WorkflowError(f"没有“{name}”这个操作")
    return step


def _step(
    user: User,
    article: Article,
    name: str,
    change: Callable[[Article], Article],
    comment: str = "",
    *,
    override_reason: str = "",
) -> Article:
    """Take step `name` (citydesk.newsroom.workflow.STEPS) on the article, audited: the
    table's checks, then, under the row lock, the state and (for the steps that run it)
    the sensitive-word check on the text as it is now; `override_reason` lets listed
    words through for someone with the `override` cell."""
    step = _step_named(name)
    role = _check_request(user, article, step, comment)
    with transaction.atomic():
        # The state as it is now, not as the caller read it.
        current = Article.objects.select_for_update().get(pk=article.pk)
        recorded = _check_state(user, role, current, step, comment.strip(), override_reason)
        before = current.status
        current = change(current)
        Transition.objects.create(
            article=current,
            actor=user,
            actor_name=display_name(user),
            action=step.name,
            from_status=before,
            to_status=current.status,
            stage=current.review_stage,
            comment=recorded,
        )
    article.refresh_from_db()
    return article


def _review_state(status: str, *, stage: int) -> Callable[[Article], Article]:
    def change(article: Article) -> Article:
        return content.set_review_state(article, status, review_stage=stage)

    return change


def submit(
    user: User, article: Article, comment: str = "", *, override_reason: str = ""
) -> Article:
    """送审: a draft (or a returned piece, fixed) goes to the editors, once it passes the
    sensitive-word check or a chief editor lets it through (`override_reason`)."""
    return _step(
        user,
        article,
        "submit",
        _review_state(Status.SUBMITTED, stage=0),
        comment,
        override_reason=override_reason,
    )


def return_to_writer(user: User, article: Article, comment: str) -> Article:
    """退回: back to the writer, with what to fix. The review starts over."""
    return _step(user, article, "return", _review_state(Status.RETURNED, stage=0), comment)


def approve(user: User, article: Article, comment: str = "") -> Article:
    """审核通过 one stage. One stage approves the article; under 三审 the third does, and
    it must be a chief editor's (终审). Nobody approves their own piece, nor two stages of
    one review. The first approver becomes the article's 责编."""

    def change(current: Article) -> Article:
        stage = current.review_stage + 1
        editor = content.get_or_create_person(display_name(user)) if stage == 1 else None
        status = Status.APPROVED if stage >= stages_needed(current) else Status.SUBMITTED
        return content.set_review_state(
            current, status, review_stage=stage, responsible_editor=editor
        )

    return _step(user, article, "approve", change, comment)


def publish(
    user: User, article: Article, comment: str = "", *, override_reason: str = ""
) -> Article:
    """签发: live now. Only an approved (or scheduled, or taken-down) article; the
    sensitive-word check runs again, on the text as edited since 送审."""
    return _step(
        user,
        article,
        "publish",
        content.do_publish_article,
        comment,
        override_reason=override_reason,
    )


def schedule(
    user: User, article: Article, at: datetime, comment: str = "", *, override_reason: str = ""
) -> Article:
    """定时发布 at `at` (the worker publishes it then), checked as 签发 is."""

    def change(current: Article) -> Article:
        try:
            return content.do_schedule_article(current, at)
        except ValueError as exc:
            raise WorkflowError(str(exc)) from exc

    return _step(user, article, "schedule", change, comment, override_reason=override_reason)


def unpublish(user: User, article: Article, comment: str = "") -> Article:
    """撤下: off the site; it may be published again."""
    return _step(user, article, "unpublish", content.do_unpublish_article, comment)


def retract(user: User, article: Article, reason: str) -> Article:
    """撤稿: off every page for good, with the reason on record."""
    return _step(user, article, "retract", content.do_retract_article, reason)


def take(
    user: User,
    article: Article,
    name: str,
    comment: str = "",
    *,
    override_reason: str = "",
    at: datetime | None = None,
) -> Article:
    """Step `name` of the table by its name (the screens' buttons, the admin's select):
    `override_reason` goes to the steps that run the sensitive-word check, `at` to
    定时发布, which needs it."""
    step = _step_named(name)
    if step.needs_time:
        if at is None:
            raise WorkflowError("请填写定时发布的时间，例如 2026-12-02 08:00")
        return schedule(user, article, at, comment, override_reason=override_reason)
    if step.checks_words:
        return _BY_NAME[name](user, article, comment, override_reason=override_reason)
    return _BY_NAME[name](user, article, comment)


_BY_NAME: dict[str, Callable[..., Article]] = {
    "submit": submit,
    "return": return_to_writer,
    "approve": approve,
    "publish": publish,
    "unpublish": unpublish,
    "retract": retract,
}


def may_delete(user: User, article: Article) -> bool:
    """Deleting is for good, more than taking a piece down: those who may retract
    (chief editors, administrators) delete any piece; a writer, their own piece while
    it is theirs to edit (a draft, or returned to them)."""
    role = role_of(user)
    if allows(role, Action.RETRACT):
        return True
    return (
        workflow.is_writer(user, article)
        and allows(role, Action.EDIT_OWN)
        and article.status in (Status.DRAFT, Status.RETURNED)
    )


def delete(user: User, article: Article) -> None:
    """Delete the article for good (the admin's delete), if `user` may."""
    if not may_delete(user, article):
        raise PermissionDenied(f"你不能删除《{article.title}》")
    content.delete_article(article)
