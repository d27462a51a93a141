"""App push against a local push service: the signed alert, failures kept on the
delivery (never on the article) and retried, the log backend, the start-up checks, and
the newsroom's panel that shows only configured outlets."""

import hashlib
import hmac
import json
import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core import startup
from citydesk.core.tasks import Gone, run_pending
from citydesk.core.testing import QuietHandler, http_server
from citydesk.distribution import actions as distribution
from citydesk.distribution.actions import DistributionRefused
from citydesk.distribution.models import Distribution
from citydesk.distribution.tasks import send_push

pytestmark = pytest.mark.django_db
SECRET = "push-secret"


class Service:
    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []
        self.received: list[tuple[dict[str, str], bytes]] = []


@pytest.fixture
def service(settings):
    served = Service()

    class Handler(QuietHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            served.received.append((dict(self.headers), body))
            status, reply = served.answers.pop(0) if served.answers else (200, b'{"id": "m-1"}')
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    with http_server(Handler) as base:
        settings.CITYDESK_PUSH_BACKEND = "webhook"
        settings.CITYDESK_PUSH_WEBHOOK_URL = base + "/push"
        settings.CITYDESK_PUSH_SECRET = SECRET
        yield served


def published(title: str = "地铁新线开通") -> Article:
    return actions.create_article(
        ArticleData(
            title=title,
            summary="今天起试运营。",
            body=[{"type": "paragraph", "text": "正文。"}],
            channels=["suzhou"],
            published_at=timezone.now() - timedelta(minutes=1),
        ),
        status=Article.Status.PUBLISHED,
    )


def unchanged(article: Article) -> tuple:
    fresh = Article.objects.get(pk=article.pk)
    return (fresh.version, fresh.updated_at, fresh.status, fresh.title)


def test_a_headline_alert_is_signed_and_sent(service):
    article = published()
    delivery = distribution.send_to_app(article, requested_by="张总")
    assert delivery.state == Distribution.State.QUEUED
    run_pending()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.remote_id, delivery.error) == ("sent", "m-1", "")
    ((headers, body),) = service.received
    alert = json.loads(body)
    assert alert["title"] == "地铁新线开通" and alert["url"].endswith(f"/a/{article.pk}/")
    stamp = headers["X-Citydesk-Timestamp"]
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    assert headers["X-Citydesk-Signature"] == f"sha256={expected.hexdigest()}"


def test_a_failing_service_shows_its_error_is_retried_and_never_changes_the_article(service):
    article = published()
    before = unchanged(article)
    service.answers = [(503, b"busy"), (200, b"not json")]
    distribution.send_to_app(article)
    run_pending()
    delivery = Distribution.objects.get()
    assert delivery.state == "failed" and "HTTP 503" in delivery.error
    assert unchanged(article) == before
    # The policy's retry comes after its delay; an editor's 重试 asks again at once.
    distribution.send_to_app(article)
    run_pending()
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "不是 JSON" in delivery.error
    distribution.send_to_app(article)
    run_pending()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.error, delivery.attempts) == ("sent", "", 3)
    assert unchanged(article) == before
    # The policy's retries of the failures, when they come due, send nothing again.
    with pytest.raises(Gone):
        send_push.call(distribution_id=delivery.pk)
    assert len(service.received) == 3


def test_only_live_pieces_and_configured_outlets(service, settings):
    draft = actions.create_article(ArticleData(title="草稿", body=[]))
    with pytest.raises(DistributionRefused, match="只有已发布的稿件"):
        distribution.send_to_app(draft)
    settings.CITYDESK_PUSH_BACKEND = ""
    assert distribution.outlets() == []
    with pytest.raises(DistributionRefused, match="没有配置"):
        distribution.send_to_app(published())
    assert not Distribution.objects.exists()


def test_the_log_backend_for_development(settings, caplog):
    settings.CITYDESK_PUSH_BACKEND = "log"
    article = published()
    distribution.send_to_app(article)
    with caplog.at_level(logging.INFO, logger="citydesk.distribution.push"):
        run_pending()
    assert Distribution.objects.get().state == "sent"
    assert "地铁新线开通" in caplog.text


@pytest.mark.parametrize(
    ("backend", "url", "message"),
    [
        ("fcm", "", "CITYDESK_PUSH_BACKEND: 'fcm' is not one of log, webhook"),
        ("webhook", "", "CITYDESK_PUSH_WEBHOOK_URL"),
        ("webhook", "ftp://push.example.cn/", "CITYDESK_PUSH_WEBHOOK_URL"),
    ],
)
def test_misconfiguration_is_refused_at_start_up(settings, backend, url, message):
    settings.CITYDESK_PUSH_BACKEND, settings.CITYDESK_PUSH_WEBHOOK_URL = backend, url
    found = [p.msg for p in startup.problems() if (p.id or "").startswith("citydesk.distribution")]
    assert len(found) == 1 and found[0].startswith(message)


def test_the_editor_shows_configured_outlets_and_lets_a_chief_push(service):
    article = published()
    chief = User.objects.create_user("签发甲")
    chief.groups.add(Group.objects.get(name="签发编辑"))
    reporter = User.objects.create_user("记者甲")
    reporter.groups.add(Group.objects.get(name="记者"))
    client = Client()
    client.force_login(chief)
    page = client.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    assert "分发" in page and "App 推送：未发送" in page
    assert client.post(f"/newsroom/a/{article.pk}/distribute/").status_code == 302
    run_pending()
    page = client.get(f"/newsroom/a/{article.pk}/edit/").content.decode()
    assert "App 推送：已推送" in page
    other = Client()
    other.force_login(reporter)
    assert other.post(f"/newsroom/a/{article.pk}/distribute/").status_code == 403
    assert Distribution.objects.get().attempts == 1


def test_the_dashboard_shows_where_ones_own_pieces_went(service):
    reporter = User.objects.create_user("记者乙")
    reporter.groups.add(Group.objects.get(name="记者"))
    mine = actions.create_article(
        ArticleData(title="我的快讯", body=[], channels=["suzhou"],
                    published_at=timezone.now() - timedelta(hours=1)),
        status=Article.Status.PUBLISHED, created_by=reporter,
    )  # fmt: skip
    published("别人的稿件")
    distribution.send_to_app(mine)
    run_pending()
    client = Client()
    client.force_login(reporter)
    board = client.get("/newsroom/").content.decode()
    section = board[board.index("我的稿件分发") :].split("</section>")[0]
    assert "我的快讯" in section and "已推送" in section and "别人的稿件" not in section
