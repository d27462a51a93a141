from django.apps import AppConfig


class PayConfig(AppConfig):
    name = "citydesk.pay"
    verbose_name = "稿费与绩效"
    default_auto_field = "django.db.models.BigAutoField"
