"""The newsroom's own tables in the admin: the sensitive-word list (kept by chief editors
and administrators) and, read-only, the workflow's record."""

from django.contrib import admin
from django.http import HttpRequest

from citydesk.newsroom.models import SensitiveWord, Transition


@admin.register(SensitiveWord)
class SensitiveWordAdmin(admin.ModelAdmin):
    list_display = ["word", "note", "created_at"]
    search_fields = ["word", "note"]
    fields = ["word", "note"]


@admin.register(Transition)
class TransitionAdmin(admin.ModelAdmin):
    """The audit trail is written by the workflow only, and never changed."""

    list_display = ["at", "article", "actor_name", "action", "from_status", "to_status"]
    list_filter = ["action", "to_status"]
    search_fields = ["actor_name", "comment"]
    raw_id_fields = ["article", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
