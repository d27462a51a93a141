"""Comments for readers (a fragment under each article, a form, 举报) and the
moderators' queue in the newsroom.

A cached page cannot carry a CSRF token, so the readers' two forms are exempt from
Django's check and ask that the browser's Origin (or Referer) be the site's own instead:
another site's page cannot post in a reader's name. The moderators' forms keep Django's
check, behind the newsroom login.
"""

import secrets
from urllib.parse import urlsplit

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from citydesk.comments import actions, queries
from citydesk.comments.models import MAX_BODY, MAX_NICKNAME, Comment
from citydesk.content.models import Article
from citydesk.core.net import request_network, site_origins
from citydesk.newsroom.roles import Action, allows, role_of
from citydesk.publishing.decorators import fragment

READER_COOKIE = "cd_reader"
# A post bigger than a comment and its fields can be is refused before it is read.
MAX_POST_BYTES = 8 * 1024


def _from_this_site(request: HttpRequest) -> bool:
    origin = request.headers.get("Origin") or ""
    if not origin or origin == "null":
        referer = urlsplit(request.headers.get("Referer", ""))
        origin = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
    host = f"{request.scheme}://{request.get_host()}"
    return bool(origin) and (origin in site_origins() or origin == host)


def _answer(request: HttpRequest, article: Article, message: str, status: int) -> HttpResponse:
    context = {"article": article, "message": message, "ok": status < 400}
    return render(request, "comments/answer.html", context, status=status)


@require_safe
@fragment
def comments_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """评论 under an article: the count, the newest approved comments with the desk's
    replies, and the form (or why the article takes none)."""
    article = get_object_or_404(Article.objects.published(), pk=pk)
    count, items = queries.shown(article)
    context = {
        "article": article,
        "count": count,
        "items": items,
        "closed": actions.closed_because(article),
        "reviews_first": actions.reviews_first(article),
        "max_body": MAX_BODY,
        "max_nickname": MAX_NICKNAME,
    }
    return render(request, "comments/fragment.html", context)


@csrf_exempt
@require_POST
def post(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    if not article.is_live and article.status != Article.Status.RETRACTED:
        raise Http404("没有这篇文章")  # a draft's title is not for readers, even in a refusal
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = MAX_POST_BYTES + 1
    if length > MAX_POST_BYTES:
        return _answer(request, article, f"评论最多 {MAX_BODY} 字", 413)
    if not _from_this_site(request):
        return _answer(request, article, "请在本站的页面上发表评论", 403)
    if request.POST.get("website"):  # the field people never see: a bot filled it
        return _answer(request, article, "评论未能提交", 400)
    reader = request.COOKIES.get(READER_COOKIE, "")[:40] or secrets.token_urlsafe(16)
    try:
        comment = actions.post_comment(
            request,
            article,
            nickname=request.POST.get("nickname", ""),
            body=request.POST.get("body", ""),
            contact=request.POST.get("contact", ""),
            network=request_network(request),
            reader=reader,
        )
    except actions.Refused as refused:
        response = _answer(request, article, str(refused), refused.status)
    else:
        shown = comment.status == Comment.Status.APPROVED
        message = "评论已发表" if shown else "评论已提交，审核通过后显示"
        response = _answer(request, article, message, 201)
    response.set_cookie(READER_COOKIE, reader, max_age=365 * 86400, httponly=True, samesite="Lax")
    return response


@csrf_exempt
@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment, pk=pk, status=Comment.Status.APPROVED)
    if not _from_this_site(request):
        return _answer(request, comment.article, "请在本站的页面上举报", 403)
    added = actions.report(comment, request_network(request), request.POST.get("reason", ""))
    message = "已收到举报，我们会尽快处理" if added else "你已举报过这条评论"
    return _answer(request, comment.article, message, 200)


# The moderators' queue ----------------------------------------------------------------


def _moderator(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not allows(role_of(user), Action.EDIT_OTHERS):
        raise PermissionDenied("只有编辑可以审核评论")
    return user


@never_cache
@login_required(login_url="newsroom:login")
def moderation(request: HttpRequest) -> HttpResponse:
    user = _moderator(request)
    if request.method == "POST":
        number = request.POST.get("comment", "")
        comment = get_object_or_404(Comment, pk=int(number) if number.isdecimal() else 0)
        action = request.POST.get("action", "")
        try:
            if action == "reply":
                actions.reply(comment, request.POST.get("reply", ""), user)
            else:
                actions.moderate(comment, action, user, request.POST.get("note", ""))
        except actions.Refused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"{comment.nickname} 的评论：{comment.get_status_display()}")
        return HttpResponseRedirect(reverse("comments:moderation"))
    context = {
        **admin.site.each_context(request),
        "is_nav_sidebar_enabled": False,
        "title": "评论审核",
        "pending": list(queries.queue()[:100]),
        "reported": list(queries.reported()[:50]),
        "recent": list(queries.recent()[:30]),
        "max_body": MAX_BODY,
    }
    return render(request, "comments/moderation.html", context)
