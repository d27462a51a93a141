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
from django_tasks_db.models import DBTaskResult

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


class TaskAdmin(DBTaskResultAdmin):
    list_display: Any = ("task_name", "status", "attempts", "error", "enqueued_at", "run_after")
    list_filter: ClassVar[Any] = (FailingFilter, "status", "queue_name")
    actions = ["retry_now"]

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
