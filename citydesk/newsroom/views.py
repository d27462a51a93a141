"""The newsroom: the dashboard, the article editor and its preview, revision history,
and the workflow's buttons (POST only, checked by role in the actions)."""

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from citydesk.content import actions as content
from citydesk.content import images
from citydesk.content import queries as content_queries
from citydesk.content.actions import live as live_actions
from citydesk.content.models import Article, Image, LiveUpdate
from citydesk.content.richtext import char_count, parse_id
from citydesk.core import tasks
from citydesk.distribution import actions as distribution_actions
from citydesk.distribution import queries as distribution
from citydesk.newsroom import (
    actions,
    locks,
    pay_views,
    planning,
    queries,
    revisions,
    sensitive,
    workflow,
)
from citydesk.newsroom.editor import ArticleEditForm, ImageUploadForm
from citydesk.newsroom.models import Revision
from citydesk.newsroom.roles import GROUPS, Action, allows, role_of
from citydesk.portal.views import article_context


def _time(at: str) -> datetime | None:
    """定时发布's time as the form sends it (2026-12-02T08:00), in the site's zone."""
    try:
        return timezone.make_aware(datetime.fromisoformat(at)) if at else None
    except ValueError:
        return None


def _login_context(request: HttpRequest) -> dict[str, Any]:
    return {
        **admin.site.each_context(request),
        "title": "编辑部登录",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": round(settings.AXES_COOLOFF_TIME.total_seconds() / 60),
    }


def login(request: HttpRequest) -> HttpResponse:
    """The newsroom's own login (no staff flag needed); django-axes counts the failures.
    LoginView itself keeps it uncached, CSRF-checked and its password out of error reports."""
    if request.user.is_authenticated:
        # Signed in already: the dashboard (a `next` back to this page would loop).
        return HttpResponseRedirect(reverse("newsroom:dashboard"))
    view = LoginView.as_view(
        template_name="newsroom/login.html",
        extra_context=_login_context(request),
    )
    return cast(HttpResponse, view(request))


logout = LogoutView.as_view(next_page="newsroom:login")  # POST only, as Django requires


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes's answer to a login from a locked-out address or user name."""
    return render(request, "newsroom/locked_out.html", _login_context(request), status=429)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # login_required: never anonymous here
    board = queries.dashboard(user)
    if board.role is None:
        raise PermissionDenied("你不在编辑部的任何角色中")
    for article in [*board.my_drafts, *board.waiting, *board.scheduled, *board.published_today]:
        article.steps = workflow.offered(user, article)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        **admin.site.each_context(request),  # the admin's header, nav and theme
        "board": board,
        "role_name": GROUPS[board.role],
        # The comment queue is the editors' (comments.views._moderator asks the same).
        "moderates": allows(board.role, Action.EDIT_OTHERS),
        "notices": list(planning.unread_notices(user)[:20]),
        "due_soon": list(planning.due_soon(user)),
        "pay": pay_views.month_line(user),
        "title": "编辑部工作台",
    }
    return render(request, "newsroom/dashboard.html", context)


def _user(request: HttpRequest) -> User:
    """The newsroom member making the request (login_required ran first)."""
    user = cast(User, request.user)
    if role_of(user) is None:
        raise PermissionDenied("你不在编辑部的任何角色中")
    return user


def _readable(user: User, pk: int) -> Article:
    """The piece, if `user` may read it: one under embargo that is not theirs is a 404 to
    a reporter, as if it did not exist (its title is news too)."""
    article = get_object_or_404(Article, pk=pk)
    if not actions.may_read(user, article):
        raise Http404("没有这篇稿件")
    return article


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = default
    return HttpResponseRedirect(target or default)


@require_POST
@login_required
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One workflow step on one article; a step the user may not take is a 403 and
    changes nothing (the check is in the action, whatever the form said)."""
    if name not in workflow.STEPS:
        return HttpResponse("没有这个操作", status=404, content_type="text/plain; charset=utf-8")
    user = _user(request)
    article = _readable(user, pk)
    try:
        actions.take(
            user,
            article,
            name,
            request.POST.get("comment", "")[:2000],
            override_reason=request.POST.get("override_reason", "")[:500],
            at=_time(request.POST.get("at", "")),
        )
    except actions.WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"《{article.title}》：{article.get_status_display()}")
    return _back(request, reverse("newsroom:dashboard"))


def _editor_context(
    request: HttpRequest, user: User, article: Article | None, form: ArticleEditForm
) -> dict[str, Any]:
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,  # the editor wants the width
        "form": form,
        "article": article,
        "title": f"编辑：{article.title}" if article else "写新稿件",
        "images": list(Image.objects.all()[:12]),
        "upload_form": ImageUploadForm(),
        "may_override": allows(role_of(user), Action.OVERRIDE),
    }
    if article is not None:
        editable = actions.may_edit(user, article)
        # Only someone who may edit holds the lock; a reader of the page just sees it.
        holder = locks.take(user, article) if editable else locks.holder(article)
        steps = workflow.offered(user, article)
        context |= {
            "editable": editable,
            "lock": holder if holder is not None and holder.user_id != user.pk else None,
            "lock_seconds": locks.LOCK_SECONDS,
            # 送审 is the form's own button (it saves first); the rest are the panel's.
            "may_submit": any(step.name == "submit" for step in steps),
            "review_steps": [step for step in steps if step.name != "submit"],
            "hits": sensitive.check_article(article),
            "char_count": char_count(article.body),
            "transitions": list(article.transitions.order_by("-at", "-id")[:20]),
            "outlets": distribution.states(article),
            "may_distribute": allows(role_of(user), Action.PUBLISH),
        }
    else:
        context |= {"editable": True, "hits": [], "char_count": 0}
    return context


@never_cache
@login_required
def new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not allows(role_of(user), Action.CREATE):
        raise PermissionDenied("你不能新建稿件")
    form = ArticleEditForm(request.POST or None, initial={"base_version": 0})
    if request.method == "POST" and form.is_valid():
        changes = form.text_changes()
        try:
            article = revisions.create_draft(
                user, changes, channels=list(form.cleaned_data["channels"])
            )
        except revisions.EditError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存草稿（第{article.version}版）")
            return HttpResponseRedirect(reverse("newsroom:edit", args=[article.pk]))
    return render(request, "newsroom/edit.html", _editor_context(request, user, None, form))


@never_cache
@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor. Saving names the version it was opened on: a save on a stale version is
    refused, kept as an unapplied revision, and the page links to the comparison."""
    user = _user(request)
    article = _readable(user, pk)
    if request.method != "POST":
        form = ArticleEditForm.for_article(article)
        return render(request, "newsroom/edit.html", _editor_context(request, user, article, form))
    form = ArticleEditForm.for_article(article, request.POST)
    if form.is_valid():
        try:
            revisions.save_text(
                user,
                article,
                form.text_changes(),
                base_version=form.cleaned_data["base_version"],
                channels=list(form.cleaned_data["channels"]),
                override_reason=request.POST.get("override_reason", "")[:500],
            )
        except revisions.StaleEdit as exc:
            form.add_error(None, str(exc))
            context = _editor_context(request, user, article, form)
            context["stale"] = exc
            return render(request, "newsroom/edit.html", context, status=409)
        except actions.SensitiveWords as exc:
            # Nothing saved; the form keeps the text, the panel shows the new hits.
            form.add_error(None, str(exc))
            context = _editor_context(request, user, article, form)
            context["hits"] = exc.hits
            return render(request, "newsroom/edit.html", context, status=400)
        except revisions.EditError as exc:
            form.add_error(None, str(exc))
        else:
            cover = request.FILES.get("cover")
            if cover is not None:
                _set_cover(request, article, cover)
            x, y = form.cleaned_data["cover_focal_x"], form.cleaned_data["cover_focal_y"]
            if x is not None and y is not None:
                content.set_cover_focus(article, x, y)
            messages.success(request, f"已保存（第{article.version}版）")
            then = request.POST.get("then", "")
            if then == "submit":
                try:
                    actions.submit(
                        user, article, override_reason=request.POST.get("override_reason", "")
                    )
                except actions.WorkflowError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, "已送审")
            return HttpResponseRedirect(reverse("newsroom:edit", args=[article.pk]))
    return render(
        request, "newsroom/edit.html", _editor_context(request, user, article, form), status=400
    )


def _set_cover(request: HttpRequest, article: Article, cover: Any) -> None:
    try:
        content.set_article_cover(article, cover.name, cover.read())
    except images.ImageError as exc:
        messages.error(request, f"封面图没有保存：{exc}")


@never_cache
@login_required
def preview(request: HttpRequest, pk: int, page: int = 1) -> HttpResponse:
    """The reader's article page for the article as it is now, in any state: the same
    template, the same context, with a bar saying it is a preview. Never cached."""
    _readable(_user(request), pk)
    item = content_queries.article_with_links(pk)
    if item is None:
        raise Http404("没有这篇稿件")
    context = article_context(item, page)
    context["preview"] = True
    links = [(n, reverse("newsroom:preview-page", args=[pk, n])) for n, _ in context["page_links"]]
    context["page_links"] = links
    context["previous_url"] = links[page - 2][1] if page > 1 else ""
    context["next_url"] = links[page][1] if page < len(links) else ""
    response = render(request, "portal/article.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@login_required
def distribute(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a live piece to an outlet (App 推送), or again after a failure: those who may
    publish. The outlet's task does the sending; a failure never touches the article."""
    user = _user(request)
    if not allows(role_of(user), Action.PUBLISH):
        raise PermissionDenied("只有签发编辑可以分发稿件")
    article = _readable(user, pk)
    steps = {
        "push": (distribution_actions.send_to_app, "已加入推送队列"),
        "draft": (distribution_actions.draft_for_wechat, "正在生成公众号草稿"),
        "publish": (distribution_actions.publish_on_wechat, "已提交公众号发布"),
    }
    chosen = steps.get(request.POST.get("do", "push"))
    if chosen is None:
        return HttpResponseBadRequest("未知的分发操作")
    take, done = chosen
    try:
        take(article, requested_by=actions.display_name(user))
    except distribution_actions.DistributionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("newsroom:edit", args=[article.pk]))


@never_cache
@login_required
def live(request: HttpRequest, pk: int) -> HttpResponse:
    """图文直播 from a phone: the coverage's times, a form to post, and the updates
    with edit, pin and delete. Every change goes through the door (content.actions.live)
    and, for text, through the sensitive-word check."""
    user = _user(request)
    article = _readable(user, pk)
    if not actions.may_post_live(user, article):
        raise PermissionDenied("你不能更新这篇稿件的图文直播")
    coverage = content_queries.live_coverage(article)
    if request.method == "POST":
        try:
            done = _live_change(request, user, article)
        except (live_actions.LiveRefused, actions.WorkflowError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(reverse("newsroom:live", args=[pk]))
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": f"图文直播：{article.title}",
        "article": article,
        "coverage": coverage,
        "updates": list(coverage.updates.select_related("author", "image")) if coverage else [],
        "may_set": allows(role_of(user), Action.EDIT_OTHERS),
        "may_override": allows(role_of(user), Action.OVERRIDE),
        "author": actions.display_name(user),
        "kinds": LiveUpdate.Kind.choices,
        "max_text": live_actions.MAX_TEXT,
    }
    return render(request, "newsroom/live.html", context)


def _live_change(request: HttpRequest, user: User, article: Article) -> str:
    """One POST of the live page; returns what to tell the editor."""
    post = request.POST
    action = post.get("action", "")
    if action not in ("coverage", "end", "post", "edit", "pin", "unpin", "delete"):
        raise live_actions.LiveRefused("没有这个操作")
    if action in ("coverage", "end"):
        if not allows(role_of(user), Action.EDIT_OTHERS):
            raise PermissionDenied("只有编辑可以设置直播时间")
        if action == "end":
            live_actions.end_live_coverage(article)
            return "直播已结束"
        starts = _time(post.get("starts_at", ""))
        if starts is None:
            raise live_actions.LiveRefused("请填写开始时间")
        poll = post.get("poll_seconds", "3")
        live_actions.set_live_coverage(
            article,
            starts_at=starts,
            ends_at=_time(post.get("ends_at", "")),
            poll_seconds=int(poll) if poll.isdecimal() and len(poll) < 4 else 0,
        )
        return "直播时间已保存"
    text = post.get("text", "")
    override = ""
    if action in ("post", "edit"):  # what readers will read
        hits = sensitive.check({"summary": text})
        override = actions.let_through(user, hits, post.get("override_reason", "")[:500])
    said = f"（{override}）" if override else ""
    if action == "post":
        with transaction.atomic():  # a refused post keeps no picture in the library
            image = None
            if request.FILES.get("file"):
                form = ImageUploadForm(post, request.FILES)
                if not form.is_valid():
                    raise live_actions.LiveRefused(
                        "；".join(str(e) for field in form.errors.values() for e in field)
                    )
                image = form.save(commit=False)
                image.title = (image.caption or text)[:200]
                content.save_image(image)
            live_actions.post_live_update(
                article,
                kind=post.get("kind", LiveUpdate.Kind.TEXT),
                text=text,
                image=image,
                video_url=post.get("video_url", "").strip(),
                author=post.get("author", "")[:50],
                user=user,
            )
        return "已发布" + said
    number = post.get("update", "")
    update = get_object_or_404(
        LiveUpdate, pk=int(number) if number.isdecimal() else 0, coverage__article=article
    )
    if action == "edit":
        live_actions.edit_live_update(update, text=text)
        return "已修改" + said
    if action in ("pin", "unpin"):
        live_actions.pin_live_update(update, action == "pin")
        return "已置顶" if action == "pin" else "已取消置顶"
    live_actions.delete_live_update(update)
    return "已删除"


@never_cache
@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    """Every revision, the workflow's record, and two revisions side by side."""
    user = _user(request)
    article = _readable(user, pk)
    versions = list(article.revisions.all()[:200])
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": f"修订记录：{article.title}",
        "article": article,
        "revisions": versions,
        "transitions": list(article.transitions.order_by("-at", "-id")),
        "editable": actions.may_edit(user, article),
    }
    left, right = parse_id(request.GET.get("left")), parse_id(request.GET.get("right"))
    if left is not None and right is not None:
        pair = {r.pk: r for r in article.revisions.filter(pk__in=[left, right])}
        if left in pair and right in pair:
            context |= {
                "left": pair[left],
                "right": pair[right],
                "diffs": revisions.compare(pair[int(left)], pair[int(right)]),
            }
            context["any_changed"] = any(d.changed for d in context["diffs"])
        else:
            messages.error(request, "要对比的版本不属于这篇稿件")
    return render(request, "newsroom/history.html", context)


@require_POST
@login_required
def restore(request: HttpRequest, pk: int, revision: int) -> HttpResponse:
    user = _user(request)
    article = _readable(user, pk)
    chosen = get_object_or_404(Revision, pk=revision, article=article)
    shown = parse_id(request.POST.get("base_version"))
    try:
        # The version the history page showed: a save made since is not overwritten.
        revisions.restore(user, article, chosen, base_version=shown or article.version)
    except (revisions.EditError, actions.WorkflowError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已恢复第{chosen.version}版的内容（现为第{article.version}版）")
    return HttpResponseRedirect(reverse("newsroom:edit", args=[pk]))


@require_POST
@login_required
def lock(request: HttpRequest, pk: int) -> JsonResponse:
    """The editor page renews its soft lock; the answer says who holds it."""
    user = _user(request)
    article = _readable(user, pk)
    if request.POST.get("release"):
        locks.release(user, article)
        return JsonResponse({"released": True})
    if not actions.may_edit(user, article):
        raise PermissionDenied("你不能修改这篇稿件")
    holder = locks.take(user, article)
    mine = holder.user_id == user.pk
    return JsonResponse(
        {
            "mine": mine,
            "holder": holder.user_name,
            "since": timezone.localtime(holder.since).strftime("%H:%M"),
        }
    )


@require_POST
@login_required
def upload_image(request: HttpRequest) -> JsonResponse:
    """An image into the library from the editor: checked as every upload is; the answer
    is what the editor inserts, or why the file was refused."""
    user = _user(request)
    if not allows(role_of(user), Action.CREATE):
        raise PermissionDenied("你不能上传图片")
    form = ImageUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        return JsonResponse({"error": "；".join(errors)}, status=400)
    image = form.save(commit=False)
    image.title = image.caption[:200]
    content.save_image(image)  # the one door, which also queues its renditions
    return JsonResponse(
        {"id": image.pk, "src": image.file.url, "caption": image.caption, "credit": image.credit}
    )


@require_POST
@login_required
def retry_task(request: HttpRequest, task_id: UUID) -> HttpResponse:
    """立即重试 a failing follow-up (a purge, an index update) from the dashboard."""
    if not allows(role_of(cast(User, request.user)), Action.PUBLISH):
        raise PermissionDenied("只有签发编辑和管理员可以重试后台任务")
    if tasks.retry(str(task_id)):
        messages.success(request, "已重新排队，后台将立即重试")
    else:
        messages.info(request, "这个任务已经完成或不存在")
    return HttpResponseRedirect(reverse("newsroom:dashboard"))
