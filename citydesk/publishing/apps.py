from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "citydesk.publishing"
    verbose_name = "发布"
