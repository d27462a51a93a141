from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "citydesk.api"
    verbose_name = "开放接口"

    def ready(self) -> None:
        from citydesk.api import tasks

        tasks.connect()
