from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "citydesk.ops"
    verbose_name = "运维"
