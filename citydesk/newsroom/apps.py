from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def grant_word_list(sender: AppConfig, **kwargs: Any) -> None:
    """Chief editors keep the sensitive-word list in the admin. Granted after migrating,
    because a fresh database has its permissions only once every migration has run."""
    from django.contrib.auth.models import Group, Permission

    from citydesk.newsroom.roles import GROUPS, Role

    perms = Permission.objects.filter(
        content_type__app_label="newsroom", content_type__model="sensitiveword"
    )
    for role in (Role.CHIEF, Role.ADMIN):
        group = Group.objects.filter(name=GROUPS[role]).first()
        if group is not None:
            group.permissions.add(*perms)


class NewsroomConfig(AppConfig):
    name = "citydesk.newsroom"
    verbose_name = _("编辑部")

    def ready(self) -> None:
        post_migrate.connect(grant_word_list, sender=self)
