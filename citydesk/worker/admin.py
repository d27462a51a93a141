"""后台任务 in the admin: failing follow-ups with their error, and a way to retry them.

django-tasks-db registers a read-only list of every task; this replaces it with one that
puts the failing ones first (failed for good, or retrying after SHOW_AFTER_ATTEMPTS),
shows the last error, and retries the selected ones now.
"""

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult, get_date_max

from citydesk.core import tasks


class FailingFilter(admin.SimpleListFilter):
    title = _("情况")
    parameter_name = "failing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("失败或反复重试"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(pk__in=[row.id for row in tasks.failing()])
        return queryset


STATUS_NAMES = {
    "READY": _("等待运行"),
    "RUNNING": _("正在运行"),
    "FAILED": _("已失败"),
    "SUCCESSFUL": _("已完成"),
}


class StatusFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(STATUS_NAMES.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(status=self.value()) if self.value() else queryset


class TaskAdmin(DBTaskResultAdmin):
    list_display: Any = ("name", "state", "attempts", "error", "queued", "next_attempt")
    list_filter: ClassVar[Any] = (FailingFilter, StatusFilter)
    actions = ["retry_now"]

    @admin.display(description=_("任务"))
    def name(self, obj: DBTaskResult) -> str:
        return format_html(
            '<span style="white-space: nowrap">{}</span>', tasks.label(obj.task_path)
        )

    @admin.display(description=_("状态"))
    def state(self, obj: DBTaskResult) -> str:
        return str(STATUS_NAMES.get(obj.status, obj.status))

    @admin.display(description=_("排队时间"), ordering="enqueued_at")
    def queued(self, obj: DBTaskResult) -> Any:
        return obj.enqueued_at

    @admin.display(description=_("下次尝试"))
    def next_attempt(self, obj: DBTaskResult) -> Any:
        waiting = obj.status == "READY" and obj.run_after != get_date_max()
        return obj.run_after if waiting else "-"

    @admin.display(description=_("尝试次数"))
    def attempts(self, obj: DBTaskResult) -> int:
        return len(obj.worker_ids)

    @admin.display(description=_("最近的错误"))
    def error(self, obj: DBTaskResult) -> str:
        last = obj.traceback.strip().splitlines()[-1:] if obj.traceback else []
        return format_html("<code>{}</code>", last[0][:200]) if last else "-"

    @admin.action(description=_("立即重试所选任务"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        done = sum(tasks.retry(str(row.pk)) for row in queryset)
        self.message_user(request, _("已重新排队 %d 个任务") % done, messages.SUCCESS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the retry action; every field stays read-only.
        return bool(request.user.is_superuser)


admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskAdmin)
