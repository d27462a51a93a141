from django.contrib import admin
from django.http import HttpRequest

from citydesk.recommend.models import Pick


@admin.register(Pick)
class PickAdmin(admin.ModelAdmin):
    list_display = ["article", "position", "expires_at", "picked_by"]
    list_editable = ["position", "expires_at"]
    autocomplete_fields = ["article"]
    readonly_fields = ["picked_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: Pick, form: object, change: bool) -> None:
        if not change:
            obj.picked_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
