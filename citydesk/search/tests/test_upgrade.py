"""An index built before the character index existed gets it through durable tasks."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from citydesk.core import tasks
from citydesk.core.text import parse_query
from citydesk.search import actions
from citydesk.search.backends import get_backend
from citydesk.search.backends.base import Filters, Tier
from citydesk.search.tests.conftest import make_article

pytestmark = pytest.mark.django_db

upgrade = importlib.import_module("citydesk.search.migrations.0003_character_index")


def tiers(q: str) -> list[tuple[int, int]]:
    hits = get_backend().search(parse_query(q), Filters(now=timezone.now())).hits
    return [(h.article_id, h.tier) for h in hits]


def test_the_upgrade_queues_every_indexed_article_and_the_worker_fills_the_index():
    articles = [make_article(f"第{n}届营商环境论坛", "") for n in range(3)]
    tasks.run_pending()  # their own index tasks
    backend = get_backend()
    # The index as an older version left it: words only.
    backend.clear()
    prepared = backend.prepare(actions.documents([a.pk for a in articles]))
    for table in list(prepared.rows):
        if table not in ("search_fts", "search_meta", "search_document"):
            del prepared.rows[table]
    if connection.vendor == "postgresql":
        # The columns the upgrade adds stay at their defaults.
        prepared.rows["search_document"] = [
            (*row[:6], [], [], "", "") for row in prepared.rows["search_document"]
        ]
    backend.write(prepared)
    assert {tier for _pk, tier in tiers("营商环")} == {Tier.SOME_WORDS}

    # The migration's step reads only the editor's connection (SQLite's schema editor
    # cannot open inside the test's transaction).
    upgrade.queue(apps, SimpleNamespace(connection=connection))
    assert tasks.run_pending() == 1  # one batch
    assert sorted(tiers("营商环")) == sorted((a.pk, Tier.TITLE) for a in articles)
