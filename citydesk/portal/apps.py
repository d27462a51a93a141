from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "citydesk.portal"
    verbose_name = "门户"
