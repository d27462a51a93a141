"""/metrics: Prometheus' text format, for the allowed only; every process's counts."""

import re

import pytest
from django.test import Client

from citydesk.core.tasks import run_pending
from citydesk.portal.tests.served import citydesk_serve, fetch
from citydesk.portal.tests.sitedata import build_site
from citydesk.publishing.purge import purge_urls

pytestmark = pytest.mark.django_db


def value(text: str, name: str, **labels: str) -> float:
    """A sample's value in an exposition (0 when it is not there yet)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? ([0-9.e+-]+)$", line)
        if match and match.group(1) == name:
            have = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if have == want:
                return float(match.group(3))
    return 0.0


def scrape(client: Client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def test_counts_move_with_what_the_site_does(client):
    site = build_site()
    run_pending()  # what building the site queued
    before = scrape(client)
    client.get("/")
    client.get(site.feature.get_absolute_url())
    purge_urls(["/", "/suzhou/"])
    client.post(f"/beacon/view/{site.feature.pk}/", HTTP_USER_AGENT="Mozilla/5.0")
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("citydesk_requests_total", type="home", cache="miss") == 1
    assert grew("citydesk_requests_total", type="article", cache="miss") == 1
    assert grew("citydesk_purged_urls_total", result="ok") == 2
    assert grew("citydesk_beacons_total", status="204") == 1
    assert "citydesk_tasks_waiting" in after and "citydesk_tasks_failed 0.0" in after


def test_only_the_allowed_may_scrape(settings):
    outsider = Client(REMOTE_ADDR="203.0.113.9")
    refused = outsider.get("/metrics")
    assert refused.status_code == 403 and "只允许" in refused.content.decode()
    settings.CITYDESK_METRICS_TOKEN = "s3cret-token"
    assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert allowed.status_code == 200
    settings.CITYDESK_METRICS_ALLOW = ["203.0.113.0/24"]
    assert outsider.get("/metrics").status_code == 200


def test_every_worker_process_is_summed(tmp_path):
    # Two Granian workers, each with its own counters: every scrape (whichever worker
    # answers it) shows the sum, the front's cache hits included.
    with citydesk_serve(tmp_path, workers=2) as served:
        url = f"/a/{served.article_ids[0]}/"
        for _ in range(6):
            fetch(served.port, url)
        fetch(served.port, url + "?from=wx")
        answers = [fetch(served.port, "/metrics")[1].decode() for _ in range(6)]
    for text in answers:
        hits = value(text, "citydesk_requests_total", type="article", cache="hit")
        misses = value(text, "citydesk_requests_total", type="article", cache="miss")
        assert misses == 1 and hits == 6, text[:3000]


def test_through_an_untrusted_proxy_the_local_address_proves_nothing(settings, caplog):
    # Behind nginx without CITYDESK_TRUST_X_FORWARDED_FOR, everyone looks like 127.0.0.1.
    proxied = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert proxied.get("/metrics").status_code == 403
    settings.CITYDESK_TRUST_X_FORWARDED_FOR = True
    assert proxied.get("/metrics").status_code == 403  # the reader's own address: refused
    local = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert local.get("/metrics").status_code == 200


def test_counting_never_fails_a_page(client, monkeypatch, caplog):
    from citydesk.core import metrics

    class Refusing:
        def labels(self, *labels):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(metrics, "REQUESTS", Refusing())
    monkeypatch.setattr(metrics, "_broken", False)
    assert client.get("/about/").status_code == 200
    assert metrics.broken() and "counting for /metrics failed" in caplog.text
    assert client.get("/about/").status_code == 200  # and no more tries, no more logs
    assert caplog.text.count("counting for /metrics failed") == 1
