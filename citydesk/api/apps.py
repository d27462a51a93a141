from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "citydesk.api"
    verbose_name = "开放接口"

    def ready(self) -> None:
        from citydesk.api import queries, tasks

        tasks.connect()
        del queries  # imported for its partners' state on the 分发 panel
