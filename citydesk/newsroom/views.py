"""The newsroom dashboard and the workflow's buttons (POST only, checked by role)."""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from citydesk.content.models import Article
from citydesk.newsroom import actions, queries
from citydesk.newsroom.roles import GROUPS, Action, allows, role_of

STEPS: dict[str, Callable[[User, Article, str], Article]] = {
    "submit": actions.submit,
    "return": actions.return_to_writer,
    "approve": actions.approve,
    "publish": actions.publish,
    "unpublish": actions.unpublish,
    "retract": actions.retract,
}


Status = Article.Status
# The buttons: label, and the states the step starts from (the actions check them again).
BUTTONS = {
    "submit": ("送审", (Status.DRAFT, Status.RETURNED)),
    "approve": ("审核通过", (Status.SUBMITTED,)),
    "return": ("退回", (Status.SUBMITTED, Status.APPROVED)),
    "publish": ("签发", (Status.APPROVED, Status.SCHEDULED, Status.UNPUBLISHED)),
    "unpublish": ("撤下", (Status.PUBLISHED, Status.SCHEDULED)),
    "retract": ("撤稿", (Status.PUBLISHED, Status.SCHEDULED, Status.UNPUBLISHED)),
}


def offered(user: User, article: Article) -> list[tuple[str, str]]:
    """The steps to offer on this article: the role allows them and its state does."""
    role = role_of(user)
    own = article.created_by_id == user.pk
    steps = []
    for name, (label, states) in BUTTONS.items():
        if article.status not in states or not allows(role, Action(name)):
            continue
        if name == "submit" and not own and not allows(role, Action.EDIT_OTHERS):
            continue
        if name == "approve" and own:
            continue
        steps.append((name, label))
    return steps


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required: never anonymous here
    board = queries.dashboard(user)
    if board.role is None:
        raise PermissionDenied("你不在编辑部的任何角色中")
    for article in [*board.my_drafts, *board.waiting, *board.scheduled, *board.published_today]:
        article.steps = offered(user, article)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        **admin.site.each_context(request),  # the admin's header, nav and theme
        "board": board,
        "role_name": GROUPS[board.role],
        "title": "编辑部工作台",
    }
    return render(request, "newsroom/dashboard.html", context)


@require_POST
@login_required
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One workflow step on one article; a step the user may not take is a 403 and
    changes nothing (the check is in the action, whatever the form said)."""
    action = STEPS.get(name)
    if action is None:
        return HttpResponse("没有这个操作", status=404, content_type="text/plain; charset=utf-8")
    article = get_object_or_404(Article, pk=pk)
    comment = request.POST.get("comment", "")[:2000]
    try:
        action(cast(User, request.user), article, comment)
    except actions.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"《{article.title}》：{article.get_status_display()}")
    return HttpResponseRedirect(reverse("newsroom:dashboard"))
