from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "citydesk.search"
    verbose_name = "搜索"

    def ready(self) -> None:
        from citydesk.search import receivers

        receivers.connect()
