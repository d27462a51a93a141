"""稿费 and 绩效 in the newsroom (/newsroom/pay/): the report for a date range, narrowed by
person, desk or channel, exported as CSV or XLSX; the rate table for chief editors.
Everyone else sees their own line only (their byline person: linked to their account,
or else of their display name)."""

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from citydesk.content.models import Channel, Person
from citydesk.newsroom.actions import display_name
from citydesk.newsroom.roles import Action, allows, role_of
from citydesk.pay import export
from citydesk.pay import report as pay
from citydesk.pay.actions import RatesRefused, set_rates
from citydesk.pay.models import RateTable

MAX_DAYS = 366  # a year at most: a report is read, not a data dump


class RangeForm(forms.Form):
    start = forms.DateField(label="从", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="到", widget=forms.DateInput(attrs={"type": "date"}))
    person = forms.ModelChoiceField(label="人员", queryset=Person.objects.all(), required=False)
    desk = forms.CharField(label="单位", max_length=100, required=False)
    channel = forms.ModelChoiceField(label="栏目", queryset=Channel.objects.all(), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError("结束日期不能早于开始日期")
        if start and end and (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(f"一次最多统计 {MAX_DAYS} 天")
        return data


RATE_FIELDS = [
    "effective_from", "per_piece", "per_thousand_chars", "per_photo", "per_video",
    "headline_multiplier", "original_multiplier", "share", "lead_percent",
]  # fmt: skip


class RatesForm(forms.ModelForm):
    class Meta:
        model = RateTable
        fields = RATE_FIELDS
        # A date input takes ISO dates only, not the locale's format.
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def validate_unique(self) -> None:
        """A table from the same day replaces it (set_rates)."""


def rates_initial(today: date) -> dict[str, Any]:
    """A new table starts from the one in force today (most changes touch one or two
    amounts), from today; from the model's defaults where there is none."""
    current = RateTable.objects.filter(effective_from__lte=today).first()
    initial = forms.model_to_dict(current, fields=RATE_FIELDS) if current else {}
    return {**initial, "effective_from": today}


def month_start(today: date) -> date:
    return today.replace(day=1)


def own_person(user: User) -> Person | None:
    """The byline person who is `user`: the one linked to their account; where none is,
    the one of their display name, unless that name is another account's or several
    people's (a common name: nobody sees another's pay by sharing it)."""
    linked = Person.objects.filter(user=user).first()
    if linked is not None:
        return linked
    found = list(Person.objects.filter(name=display_name(user))[:2])
    return found[0] if len(found) == 1 and found[0].user_id is None else None


def month_line(user: User) -> pay.Line | None:
    """The dashboard's 本月稿费: `user`'s own line from the first of the month to today."""
    person = own_person(user)
    if person is None:
        return None
    today = timezone.localdate()
    found = pay.report(month_start(today), today, person_id=person.pk)
    return found[0] if found else None


@never_cache
@login_required(login_url="newsroom:login")
def report(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or role_of(user) is None:
        raise PermissionDenied("你不在编辑部的任何角色中")
    everyone = allows(role_of(user), Action.PAY)
    if request.method != "POST":
        rates_form = RatesForm(prefix="r", initial=rates_initial(timezone.localdate()))
    else:
        if not everyone:
            raise PermissionDenied("只有签发编辑可以设定稿费标准")
        rates_form = RatesForm(request.POST, prefix="r")
        if rates_form.is_valid():
            try:
                table = set_rates(user, **rates_form.cleaned_data)
            except RatesRefused as refused:
                messages.error(request, str(refused))
            else:
                messages.success(request, f"已设定稿费标准（{table}）")
                return HttpResponseRedirect(reverse("newsroom:pay"))
    today = timezone.localdate()
    params = request.GET.copy()  # this month unless asked otherwise
    params.setdefault("start", month_start(today).isoformat())
    params.setdefault("end", today.isoformat())
    form = RangeForm(params, label_suffix="")
    lines: list[pay.Line] = []
    start, end = month_start(today), today
    if form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        start, end = data["start"], data["end"]
        if everyone:
            person: Person | None = data.get("person")
            lines = pay.report(
                start, end, person_id=person.pk if person else None,
                desk=data.get("desk") or "", channel=data.get("channel"),
            )  # fmt: skip
        else:
            own = own_person(user)
            lines = pay.report(start, end, person_id=own.pk) if own else []
    kind = request.GET.get("format", "")
    name = f"gaofei-{start:%Y%m%d}-{end:%Y%m%d}"
    if kind == "csv":
        response = HttpResponse(export.as_csv(lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if kind == "xlsx":
        response = HttpResponse(
            export.as_xlsx(lines, start, end),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    query = request.GET.copy()
    query.pop("format", None)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "稿费与绩效",
        "form": form,
        "lines": lines,
        "total": sum((line.rounded() for line in lines), pay.ZERO),
        "everyone": everyone,
        "rates_form": rates_form,
        "tables": list(RateTable.objects.all()[:10]),
        "query": query.urlencode(),
        "start": start,
        "end": end,
    }
    return render(request, "newsroom/pay.html", context)
