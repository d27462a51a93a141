import importlib

import pytest


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Uploaded media, collected static files and the page cache go to a per-test folder,
    never to ./var (whose static files `citydesk serve` collected, named by content: pages
    would name files the tests' finders do not know)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.PAGE_CACHE_DIR = tmp_path / "pagecache"


@pytest.fixture(autouse=True)
def _rankings_inline(settings):
    """Views are recorded as the beacon arrives (no batch thread writing into a test's
    transaction), and no ranking read is remembered from another test."""
    from citydesk.core import fresh
    from citydesk.rankings import backends, beacon

    settings.CITYDESK_RANKINGS_BATCH_SECONDS = 0
    beacon.reset()
    fresh.forget()
    yield
    backends.reset()


@pytest.fixture(autouse=True)
def _seeded_channels(request):
    """A transactional test empties every table when it ends, the rows migrations seeded
    included (the channels, the newsroom's role groups); put them back for the next one
    (a no-op when they are there)."""
    marker = request.node.get_closest_marker("django_db")
    if not (
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    ):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    importlib.import_module("citydesk.content.migrations.0002_seed_channels").seed(apps, None)
    importlib.import_module("citydesk.newsroom.migrations.0002_role_groups").create(apps, None)
    importlib.import_module("citydesk.newsroom.migrations.0007_skill_groups").create(apps, None)


def pytest_report_header(config):
    from django.db import connection

    return f"citydesk database: vendor={connection.vendor}"


@pytest.fixture(autouse=True, scope="session")
def _one_door():
    """Every test runs with content's one door enforced: a content model saved, deleted,
    updated or bulk-created by app code outside citydesk.content.actions fails the test
    (citydesk.content.door)."""
    from citydesk.content import door

    undo = door.enforce()
    yield
    undo()
