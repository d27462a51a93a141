from django.contrib import admin

from citydesk.comments.models import ClosedArticle, CommentPolicy


@admin.register(CommentPolicy)
class CommentPolicyAdmin(admin.ModelAdmin[CommentPolicy]):
    list_display = ["channel", "mode", "closed"]


@admin.register(ClosedArticle)
class ClosedArticleAdmin(admin.ModelAdmin[ClosedArticle]):
    list_display = ["article", "closed_at"]
    raw_id_fields = ["article"]
