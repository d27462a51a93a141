from django.contrib import admin

from citydesk.feeds.models import Feed


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = ["url", "title", "channel", "publish", "active", "last_polled_at", "last_error"]
    list_filter = ["active", "publish", "channel"]
    fields = ["url", "title", "channel", "publish", "active", "interval_minutes"]
