from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "citydesk.core"
    verbose_name = "核心"
