from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    name = "citydesk.newsroom"
    verbose_name = _("编辑部")
