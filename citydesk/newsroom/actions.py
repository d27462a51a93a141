"""The review workflow: every change of an article's state in the newsroom.

    draft → submitted → (returned, with a comment → submitted …) → approved
          → published or scheduled → unpublished or retracted (撤稿)

Each function checks the user's role against citydesk.newsroom.roles.MATRIX (raising
PermissionDenied, a 403 in a view), checks the article's state under a row lock (two
editors acting at once cannot both move it), and writes a Transition. Publishing,
scheduling, unpublishing and retracting go through citydesk.content.actions, which purge
the page cache and update the search index.
"""

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction

from citydesk.content import actions as content
from citydesk.content.models import Article
from citydesk.newsroom import sensitive
from citydesk.newsroom.models import Transition
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
    own = article.created_by_id is not None and article.created_by_id == user.pk
    return (
        own and allows(role, Action.EDIT_OWN) and article.status in (Status.DRAFT, Status.RETURNED)
    )


def _step(
    user: User,
    article: Article,
    action: Action,
    allowed_from: tuple[str, ...],
    change: Callable[[Article], Article],
    comment: str = "",
    *,
    override_reason: str | None = None,
) -> Article:
    """Move the article, audited. `override_reason` not None: the step runs the
    sensitive-word check on the text as it is under the lock, and "" lets nothing through."""
    with transaction.atomic():
        # The state as it is now, not as the caller read it.
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.status not in allowed_from:
            raise WorkflowError(f"稿件现在是“{current.get_status_display()}”，不能{action.label}")
        if override_reason is not None:
            overridden = let_through(user, sensitive.check_article(current), override_reason)
            comment = "；".join(part for part in (comment, overridden) if part)
        before = current.status
        current = change(current)
        Transition.objects.create(
            article=current,
            actor=user,
            actor_name=display_name(user),
            action=action.value,
            from_status=before,
            to_status=current.status,
            stage=current.review_stage,
            comment=comment,
        )
    article.refresh_from_db()
    return article


def _set_status(status: str, *, stage: int | None = None) -> Callable[[Article], Article]:
    def change(article: Article) -> Article:
        article.status = status
        fields = ["status", "updated_at"]
        if stage is not None:
            article.review_stage = stage
            fields.append("review_stage")
        article.save(update_fields=fields)
        return article

    return change


def submit(
    user: User, article: Article, comment: str = "", *, override_reason: str = ""
) -> Article:
    """送审: a draft (or a returned piece, fixed) goes to the editors, once it passes the
    sensitive-word check or a chief editor lets it through (`override_reason`)."""
    role = _require(user, Action.SUBMIT)
    own = article.created_by_id == user.pk
    if not own and not allows(role, Action.EDIT_OTHERS):
        raise PermissionDenied("只能送审自己的稿件")
    return _step(
        user,
        article,
        Action.SUBMIT,
        (Status.DRAFT, Status.RETURNED),
        _set_status(Status.SUBMITTED, stage=0),
        comment,
        override_reason=override_reason,
    )


def return_to_writer(user: User, article: Article, comment: str) -> Article:
    """退回: back to the writer, with what to fix. The review starts over."""
    _require(user, Action.RETURN)
    if not comment.strip():
        raise WorkflowError("退回稿件必须写明退回意见")
    return _step(
        user,
        article,
        Action.RETURN,
        (Status.SUBMITTED, Status.APPROVED),
        _set_status(Status.RETURNED, stage=0),
        comment.strip(),
    )


def approve(user: User, article: Article, comment: str = "") -> Article:
    """审核通过 one stage. One stage approves the article; under 三审 the third does, and
    it must be a chief editor's (终审). Nobody approves their own piece, nor two stages of
    one review. The first approver becomes the article's 责编."""
    role = _require(user, Action.APPROVE)
    if article.created_by_id is not None and article.created_by_id == user.pk:
        raise PermissionDenied("不能审核自己写的稿件")
    needed = stages_needed(article)

    def change(current: Article) -> Article:
        stage = current.review_stage + 1
        if stage == needed and needed > 1 and not allows(role, Action.PUBLISH):
            raise PermissionDenied("三审的终审须由签发编辑完成")
        since = current.transitions.filter(action=Action.SUBMIT).order_by("-at", "-id").first()
        approvals = current.transitions.filter(action=Action.APPROVE)
        if since is not None:
            approvals = approvals.filter(id__gt=since.id)
        if approvals.filter(actor=user).exists():
            raise PermissionDenied("同一人不能审核同一稿件的两个阶段")
        if stage == 1:
            current.responsible_editor = content.get_or_create_person(display_name(user))
        current.review_stage = stage
        current.status = Status.APPROVED if stage >= needed else Status.SUBMITTED
        current.save(update_fields=["status", "review_stage", "responsible_editor", "updated_at"])
        return current

    return _step(user, article, Action.APPROVE, (Status.SUBMITTED,), change, comment)


_RELEASABLE = (Status.APPROVED, Status.SCHEDULED, Status.UNPUBLISHED)


def publish(
    user: User, article: Article, comment: str = "", *, override_reason: str = ""
) -> Article:
    """签发: live now. Only an approved (or scheduled, or taken-down) article; the
    sensitive-word check runs again, on the text as edited since 送审."""
    _require(user, Action.PUBLISH)
    return _step(
        user,
        article,
        Action.PUBLISH,
        _RELEASABLE,
        content.do_publish_article,
        comment,
        override_reason=override_reason,
    )


def schedule(
    user: User, article: Article, at: datetime, comment: str = "", *, override_reason: str = ""
) -> Article:
    """定时发布 at `at` (the worker publishes it then), checked as 签发 is."""
    _require(user, Action.SCHEDULE)

    def change(current: Article) -> Article:
        try:
            return content.do_schedule_article(current, at)
        except ValueError as exc:
            raise WorkflowError(str(exc)) from exc

    return _step(
        user,
        article,
        Action.SCHEDULE,
        _RELEASABLE,
        change,
        comment,
        override_reason=override_reason,
    )


def unpublish(user: User, article: Article, comment: str = "") -> Article:
    """撤下: off the site; it may be published again."""
    _require(user, Action.UNPUBLISH)
    return _step(
        user,
        article,
        Action.UNPUBLISH,
        (Status.PUBLISHED, Status.SCHEDULED),
        content.do_unpublish_article,
        comment,
    )


def retract(user: User, article: Article, reason: str) -> Article:
    """撤稿: off every page for good, with the reason on record."""
    _require(user, Action.RETRACT)
    if not reason.strip():
        raise WorkflowError("撤稿必须写明原因")
    return _step(
        user,
        article,
        Action.RETRACT,
        (Status.PUBLISHED, Status.SCHEDULED, Status.UNPUBLISHED),
        content.do_retract_article,
        reason.strip(),
    )
