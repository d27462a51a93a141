from django.contrib import admin

from citydesk.search.models import DictionaryWord


@admin.register(DictionaryWord)
class DictionaryWordAdmin(admin.ModelAdmin):
    list_display = ["word", "note", "updated_at"]
    search_fields = ["word", "note"]
