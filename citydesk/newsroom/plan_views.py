"""The plan view (/newsroom/plan/): 报题, the 选题会's decisions, 派单, and the week ahead
by channel with what is late and who carries what (citydesk.newsroom.planning)."""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from citydesk.content.models import Channel
from citydesk.newsroom import planning
from citydesk.newsroom.actions import display_name
from citydesk.newsroom.models import Assignment, Proposal
from citydesk.newsroom.roles import allows, role_of

DAYS = 7


class ProposalForm(forms.Form):
    title = forms.CharField(label="题目", max_length=planning.MAX_TITLE)
    angle = forms.CharField(label="角度", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ModelChoiceField(label="栏目", queryset=Channel.objects.all())
    expected_at = forms.DateTimeField(
        label="预计刊发时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    # Not "media": a form's own attribute (its CSS and JS).
    kinds = forms.MultipleChoiceField(
        label="所需形式", choices=Proposal.Media.choices, widget=forms.CheckboxSelectMultiple
    )
    sources = forms.CharField(
        label="线索来源", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    # Shown once for each approved 选题: no ids (they would repeat), labels for readers.
    person = forms.ModelChoiceField(
        label="承担人",
        queryset=User.objects.filter(is_active=True).order_by("username"),
        widget=forms.Select(attrs={"aria-label": "承担人"}),
    )
    role = forms.ChoiceField(
        label="分工",
        choices=Assignment.Role.choices,
        widget=forms.Select(attrs={"aria-label": "分工"}),
    )
    deadline = forms.DateTimeField(
        label="截稿时间",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "aria-label": "截稿时间"}),
    )


def _member(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or role_of(user) is None:
        raise PermissionDenied("你不在编辑部的任何角色中")
    return user


def _day_start(at: datetime) -> datetime:
    return timezone.localtime(at).replace(hour=0, minute=0, second=0, microsecond=0)


@never_cache
@login_required(login_url="newsroom:login")
def plan(request: HttpRequest) -> HttpResponse:
    user = _member(request)
    proposal_form = ProposalForm(prefix="p", label_suffix="")
    if request.method == "POST":
        done = _post(request, user)
        if done is not None:
            return done
        proposal_form = ProposalForm(request.POST, prefix="p", label_suffix="")
        proposal_form.is_valid()  # its errors are shown with the form
    today = _day_start(timezone.now())
    week = list(planning.plan(today, today + timedelta(days=DAYS)))
    by_channel: dict[str, list[Proposal]] = defaultdict(list)
    for item in week:
        by_channel[item.channel.name].append(item)
    carrying: dict[str, list[Assignment]] = defaultdict(list)
    for part in (
        Assignment.objects.filter(proposal__status=Proposal.Status.APPROVED)
        .exclude(article__status__in=planning.HANDED_IN)
        .select_related("person", "proposal")
    ):
        carrying[display_name(part.person)].append(part)
    planner = allows(role_of(user), planning.STEP_ACTION)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "选题策划",
        "now": timezone.now(),
        "proposal_form": proposal_form,
        "assign_form": AssignForm(prefix="a", auto_id=False),
        "today": [p for p in week if _day_start(p.expected_at) == today],
        "by_channel": sorted(by_channel.items()),
        "late": list(planning.late()),
        "carrying": sorted(carrying.items()),
        "mine": list(
            Assignment.objects.filter(
                person=user, proposal__status=Proposal.Status.APPROVED
            ).select_related("proposal", "article")
        ),
        "planner": planner,
        "steps": planning.PLAN_STEPS.values(),
        "open_proposals": list(
            Proposal.objects.filter(
                status__in=[Proposal.Status.PROPOSED, Proposal.Status.APPROVED]
            ).only("pk", "title")
        ),
    }
    return render(request, "newsroom/plan.html", context)


def _post(request: HttpRequest, user: User) -> HttpResponse | None:
    """Take the posted step; a redirect, or None to show the 报题 form with its errors."""
    what = request.POST.get("do", "")
    back = HttpResponseRedirect(reverse("newsroom:plan"))
    try:
        if what == "propose":
            form = ProposalForm(request.POST, prefix="p")
            if not form.is_valid():
                return None
            data = dict(form.cleaned_data)
            made = planning.propose(user, media=data.pop("kinds"), **data)
            messages.success(request, f"已报题：{made.title}")
        elif what == "decide":
            item = _proposal(request.POST.get("proposal", ""))
            into = request.POST.get("into", "")
            planning.decide(
                user,
                item,
                request.POST.get("step", ""),
                reason=request.POST.get("reason", ""),
                into=_proposal(into) if into else None,
            )
            messages.success(request, f"{item.title}：{item.get_status_display()}")
        elif what == "assign":
            item = _proposal(request.POST.get("proposal", ""))
            assigning = AssignForm(request.POST, prefix="a")
            if not assigning.is_valid():
                raise planning.PlanRefused(
                    "；".join(str(e) for errors in assigning.errors.values() for e in errors)
                )
            part = planning.assign(user, item, **assigning.cleaned_data)
            messages.success(
                request, f"已派单：{display_name(part.person)}（{part.get_role_display()}）"
            )
        elif what == "open":
            number = request.POST.get("assignment", "")
            part = get_object_or_404(Assignment, pk=int(number) if number.isdecimal() else 0)
            article = planning.open_draft(user, part)
            return HttpResponseRedirect(reverse("newsroom:edit", args=[article.pk]))
        elif what == "read":
            planning.mark_read(user)
            return HttpResponseRedirect(reverse("newsroom:dashboard"))
        else:
            messages.error(request, "未知的操作")
    except planning.PlanRefused as refused:
        messages.error(request, str(refused))
    return back


def _proposal(number: str) -> Proposal:
    return get_object_or_404(Proposal, pk=int(number) if number.isdecimal() else 0)
