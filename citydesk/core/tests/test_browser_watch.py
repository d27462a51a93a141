"""The browser tests' Chromium fails a test on any Content-Security-Policy violation."""

import pytest

from citydesk.core.testing import chromium

pytestmark = pytest.mark.browser

PAGE = (
    "<meta http-equiv='Content-Security-Policy' content=\"script-src 'self'\">"
    "<p>x</p><script>document.title = 'ran'</script>"
)


def test_a_refused_inline_script_fails_the_test():
    with pytest.raises(AssertionError, match="Content Security Policy"), chromium() as browser:
        page = browser.new_context().new_page()
        page.set_content(PAGE)
        page.wait_for_timeout(200)
        assert page.title() != "ran"  # refused, as the policy says


def test_a_page_without_violations_passes():
    with chromium() as browser:
        page = browser.new_page()
        page.set_content("<p>x</p>")
        assert page.locator("p").inner_text() == "x"
