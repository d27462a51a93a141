"""Renditions are made by a task queued when an image is stored (citydesk.content.tasks).
Images stored before that, whose renditions the old polling loop had not made yet, get
their task here, once, so an upgrade leaves none without."""

import datetime
import uuid

from django.db import migrations
from django.db.models import Count

SPECS = 4  # citydesk.content.images.SPECS at the time of this migration
NO_RUN_AFTER = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)  # "as soon as possible"


def queue(apps, schema_editor):
    Image = apps.get_model("content", "Image")
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    missing = Image.objects.annotate(n=Count("renditions")).filter(n__lt=SPECS)
    Task.objects.bulk_create(
        Task(
            id=uuid.uuid4(),
            args_kwargs={"args": [], "kwargs": {"image_id": pk}},
            task_path="citydesk.content.tasks.make_renditions",
            backend_name="default",
            queue_name="default",
            priority=0,
            run_after=NO_RUN_AFTER,
        )
        for pk in missing.values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0009_article_cover_focal"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(queue, migrations.RunPython.noop)]
