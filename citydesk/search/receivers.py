"""What search keeps in step with in-process: the local dictionary and the backends.

The index itself follows content through durable tasks (citydesk.search.tasks).
"""

from typing import Any

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from citydesk.content.models import Person
from citydesk.search import backends, dictionary, tasks
from citydesk.search.models import DictionaryWord


def on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("SEARCH_BACKENDS", "DATABASES"):
        backends.reset()


def connect() -> None:
    tasks.connect()
    for model in (DictionaryWord, Person):
        post_save.connect(dictionary.mark_changed, sender=model, dispatch_uid=f"search.{model}")
        post_delete.connect(dictionary.mark_changed, sender=model, dispatch_uid=f"search.d{model}")
    setting_changed.connect(on_setting_changed, dispatch_uid="search.settings")
