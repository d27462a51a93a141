from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "citydesk.content"
    verbose_name = "内容"

    def ready(self) -> None:
        from citydesk.content import tasks

        tasks.connect()
