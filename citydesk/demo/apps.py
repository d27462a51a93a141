from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "citydesk.demo"
    verbose_name = "演示"
