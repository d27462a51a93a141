from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "citydesk.rankings"
    verbose_name = "热点排行"

    def ready(self) -> None:
        from citydesk.rankings import backends

        del backends  # imported for its start-up check
