from django.apps import AppConfig


class RecommendConfig(AppConfig):
    name = "citydesk.recommend"
    verbose_name = "今日推荐"
