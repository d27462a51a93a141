"""The API's interactive docs page works in a browser under the site's security policy."""

import pytest

from citydesk.core.testing import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_lists_every_operation(live_server):
    # chromium() fails the test on any Content-Security-Policy violation.
    with chromium() as browser:
        page = browser.new_page()
        response = page.goto(live_server.url + "/api/v1/docs/")
        assert response is not None and response.status == 200
        page.wait_for_selector(".opblock-summary-path", timeout=15_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/articles/" in paths and "/api/v1/drafts/ninjs/" in paths
