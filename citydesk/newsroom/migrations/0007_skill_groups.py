"""The groups that say who may be given 摄 and 视频 in an assignment (roles.SKILLS)."""

from django.db import migrations

GROUPS = ["摄影记者", "视频记者"]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [("newsroom", "0006_planning")]
    operations = [migrations.RunPython(create, remove)]
