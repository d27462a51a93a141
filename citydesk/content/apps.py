from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "citydesk.content"
    verbose_name = "内容"
