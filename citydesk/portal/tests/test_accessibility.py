"""axe-core, injected through Playwright, on every kind of reader page of the demo site,
in the ordinary mode and in 关怀版, at phone size: no violations at all.

The same pages are scored by Lighthouse in bench/lighthouse.py (not a test: it needs npm).
"""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from citydesk.content import queries
from citydesk.content.models import LiveCoverage, Person
from citydesk.core.testing import chromium

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reader_pages() -> dict[str, str]:
    """One page of each kind: the nine of issue #20 (关怀版 is the mode, below)."""
    live = LiveCoverage.objects.select_related("article").first()
    assert live is not None, "the demo has a live article"
    person = next(p for p in Person.objects.all() if queries.person_articles(p).exists())
    return {
        "home": "/",
        "channel": queries.nav_channels()[0].get_absolute_url(),
        "article": queries.live().exclude(cover="").exclude(pk=live.pk)[0].get_absolute_url(),
        "topic": queries.topics()[0].get_absolute_url(),
        "search": "/search/?q=古城",
        "hot": "/hot/",
        "person": person.get_absolute_url(),
        "live": live.article.get_absolute_url(),
    }


@pytest.fixture
def demo(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    settings.MEDIA_ROOT = settings.DATA_DIR / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", stdout=io.StringIO())
    return reader_pages()


def described(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(node["html"][:120] for node in v["nodes"][:3])
        + " | "
        + " ".join(v["nodes"][0].get("failureSummary", "").split())[:300]
        for v in violations
    )


@pytest.mark.parametrize("care", [False, True], ids=["ordinary", "关怀版"])
def test_axe_finds_no_violations_on_any_reader_page(demo, live_server, care):
    axe = Axe()
    found: dict[str, str] = {}
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        if care:
            context.add_init_script("localStorage.setItem('care', '1')")
        page = context.new_page()
        for kind, url in demo.items():
            response = page.goto(live_server.url + url)
            assert response is not None and response.status == 200, url
            page.wait_for_load_state("networkidle")  # the fragments are in
            assert page.evaluate("document.documentElement.classList.contains('care')") is care
            violations = axe.run(page).response["violations"]
            if violations:
                found[f"{kind} {url}"] = described(violations)
    assert not found, "\n".join(f"{page}:\n{text}" for page, text in found.items())
