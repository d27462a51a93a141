from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "citydesk.comments"
    verbose_name = "评论"
