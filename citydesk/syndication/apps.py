from django.apps import AppConfig


class SyndicationConfig(AppConfig):
    name = "citydesk.syndication"
    verbose_name = "订阅与站点地图"
