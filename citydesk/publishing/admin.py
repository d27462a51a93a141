"""The page cache's failures, for operators: read-only; deleting a row acknowledges it."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from citydesk.publishing.models import CacheFailure


@admin.register(CacheFailure)
class CacheFailureAdmin(admin.ModelAdmin):
    list_display = ["kind", "failed_at", "failures", "since", "last_error"]
    readonly_fields = ["kind", "last_error", "failed_at", "since", "failures"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rows come from failures only

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
