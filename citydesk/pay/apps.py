from django.apps import AppConfig


class PayConfig(AppConfig):
    name = "citydesk.pay"
    verbose_name = "稿费与绩效"
