import pytest


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Uploaded media and the page cache go to a per-test folder, never to ./var."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PAGE_CACHE_DIR = tmp_path / "pagecache"


def pytest_report_header(config):
    from django.db import connection

    return f"citydesk database: vendor={connection.vendor}"
