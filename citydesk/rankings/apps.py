from django.apps import AppConfig


class RankingsConfig(AppConfig):
    name = "citydesk.rankings"
    verbose_name = "热点排行"
