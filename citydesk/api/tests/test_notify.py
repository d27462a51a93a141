"""Webhooks and Baidu's push, against local servers speaking their protocols."""

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from citydesk.api import notify
from citydesk.api.models import Delivery, PushDay, Subscription
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.core import tasks
from citydesk.core.testing import QuietHandler, http_server

pytestmark = pytest.mark.django_db


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    base: str = ""
    received: list[Received] = field(default_factory=list)
    # path -> (status, body) to answer; 200 and {} where unnamed
    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)


@pytest.fixture
def server():
    served = Server()

    class Handler(QuietHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            url = urlsplit(self.path)
            served.received.append(
                Received(url.path, parse_qs(url.query), dict(self.headers), self.rfile.read(length))
            )
            status, body = served.answers.get(url.path, (200, b"{}"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with http_server(Handler) as served.base:
        yield served


def publish(title: str = "新闻") -> Article:
    return actions.create_article(
        ArticleData(
            title=title,
            body=[{"type": "paragraph", "text": "正文。"}],
            published_at=timezone.now() - timedelta(minutes=1),
        ),
        status=Article.Status.PUBLISHED,
    )


def test_a_publish_is_delivered_signed_to_each_subscriber(
    server, django_capture_on_commit_callbacks
):
    first = Subscription.objects.create(name="客户端", url=f"{server.base}/hook")
    Subscription.objects.create(name="只要撤稿", url=f"{server.base}/other", events=["retract"])
    with django_capture_on_commit_callbacks(execute=True):
        article = publish()
    # Stored, not sent: the publish returned before any delivery.
    assert server.received == [] and not Delivery.objects.exists()
    assert tasks.run_pending() >= 2  # the worker: the fan-out, then the delivery
    (delivery,) = Delivery.objects.all()
    assert delivery.event == "publish"
    (request,) = server.received
    seen: set[str] = set()

    def check(delivery_id: str) -> bool:
        replayed = delivery_id in seen
        seen.add(delivery_id)
        return replayed

    assert notify.verify(first.secret, request.headers, request.body, seen=check) == ""
    body = json.loads(request.body)
    assert body["event"] == "publish" and body["article"]["id"] == article.pk
    assert body["article"]["ninjs"]["headlines"][0]["value"] == "新闻"
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.last_status == 200
    # The receiver's replay protection: the same delivery again is refused.
    assert notify.verify(first.secret, request.headers, request.body, seen=check) == "replayed"


def test_the_receivers_check_refuses_forgeries_and_stale_timestamps():
    body = b'{"event":"publish"}'
    stamp = int(time.time())
    headers = {
        "X-Citydesk-Delivery": "d1",
        "X-Citydesk-Timestamp": str(stamp),
        "X-Citydesk-Signature": notify.sign("secret", stamp, "d1", body),
    }
    never = lambda _: False  # noqa: E731
    assert notify.verify("secret", headers, body, seen=never) == ""
    assert notify.verify("other", headers, body, seen=never) == "bad signature"
    assert notify.verify("secret", headers, body + b" ", seen=never) == "bad signature"
    later = stamp + notify.TOLERANCE_SECONDS + 1
    assert notify.verify("secret", headers, body, seen=never, now=later) == (
        "timestamp too old or too new"
    )
    moved = {**headers, "X-Citydesk-Timestamp": str(stamp - 1000)}
    assert notify.verify("secret", moved, body, seen=never) == "bad signature"
    assert notify.verify("secret", {}, body, seen=never) == "no timestamp"


def test_update_unpublish_and_retract_are_events_too(server, django_capture_on_commit_callbacks):
    Subscription.objects.create(name="客户端", url=f"{server.base}/hook")
    with django_capture_on_commit_callbacks(execute=True):
        article = publish()
    with django_capture_on_commit_callbacks(execute=True):
        actions.edit_article(article, {"title": "新闻（更新）"})
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_unpublish_article(article)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_article(article)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_retract_article(article)
    tasks.run_pending()
    events = list(Delivery.objects.order_by("created_at").values_list("event", flat=True))
    assert events == ["publish", "update", "unpublish", "publish", "retract"]
    # A draft's edits tell nobody.
    with django_capture_on_commit_callbacks(execute=True):
        actions.create_article(ArticleData(title="草稿", body=[]))
    tasks.run_pending()
    assert Delivery.objects.count() == 5


def test_a_failing_subscriber_is_retried_then_marked_failed(server):
    server.answers["/down"] = (503, b"busy")
    subscription = Subscription.objects.create(name="宕机的", url=f"{server.base}/down")
    article = publish()
    (delivery_id,) = notify.fan_out(article.pk, "publish")
    with pytest.raises(notify.DeliveryFailed):
        notify.deliver(str(delivery_id), final_attempt=3)
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status) == ("pending", 1, 503)
    for _ in range(2):
        with pytest.raises(notify.DeliveryFailed):
            notify.deliver(str(delivery_id), final_attempt=3)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    # Every attempt carried the same delivery id, each its own fresh signature.
    assert {r.headers["X-Citydesk-Delivery"] for r in server.received} == {str(delivery_id)}
    assert subscription.deliveries.count() == 1


def test_fifty_subscribers_never_slow_a_publish(server, django_capture_on_commit_callbacks):
    Subscription.objects.bulk_create(
        Subscription(name=f"订阅{n}", url=f"{server.base}/hook{n}") for n in range(50)
    )
    with django_capture_on_commit_callbacks(execute=True) as ran:
        publish()
    # The publish stored one task for the fan-out, whatever the number of subscribers,
    # and ran no part of it: the worker makes the 50 deliveries and sends them.
    assert not Delivery.objects.exists() and server.received == []
    assert not any("notify" in repr(callback) for callback in ran)
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="citydesk.api.tasks.notify_change").count() == 1
    tasks.run_pending()
    assert Delivery.objects.count() == 50 and len(server.received) == 50


@pytest.fixture
def baidu(server, settings):
    settings.CITYDESK_BAIDU_TOKEN = "t0ken"
    settings.CITYDESK_BAIDU_SITE = "https://www.example.com"
    settings.CITYDESK_BAIDU_PUSH_URL = f"{server.base}/urls"
    return server


def test_a_publish_is_pushed_to_baidu_as_its_protocol_says(
    baidu, django_capture_on_commit_callbacks
):
    baidu.answers["/urls"] = (200, b'{"remain":4999,"success":1}')
    with django_capture_on_commit_callbacks(execute=True):
        article = publish()
    tasks.run_pending()
    (request,) = baidu.received
    assert request.query == {"site": ["https://www.example.com"], "token": ["t0ken"]}
    assert request.headers["Content-Type"] == "text/plain"
    assert request.body.decode().endswith(article.get_absolute_url())
    day = PushDay.objects.get()
    assert (day.pushed, day.remain, day.exhausted) == (1, 4999, False)


def test_baidu_stops_for_the_day_at_its_quota(baidu):
    baidu.answers["/urls"] = (400, b'{"error":400,"message":"over quota"}')
    with pytest.raises(notify.PushDeferred):
        notify.push_to_baidu(["https://www.example.com/a/1/"])
    assert PushDay.objects.get().exhausted
    # The rest of the day sends nothing at all.
    with pytest.raises(notify.PushDeferred):
        notify.push_to_baidu(["https://www.example.com/a/2/"])
    assert len(baidu.received) == 1


def test_baidu_replies_are_recorded_and_a_bad_token_fails_loudly(baidu, caplog):
    baidu.answers["/urls"] = (
        200,
        b'{"remain":0,"success":1,"not_same_site":["https://other.example/x"],"not_valid":[]}',
    )
    notify.push_to_baidu(["https://www.example.com/a/1/", "https://other.example/x"])
    assert PushDay.objects.get().exhausted  # remain 0: the quota is spent
    assert "not_same_site" in caplog.text
    PushDay.objects.all().delete()
    baidu.answers["/urls"] = (401, b'{"error":401,"message":"token is not valid"}')
    with pytest.raises(notify.PushRefused, match="token is not valid"):
        notify.push_to_baidu(["https://www.example.com/a/1/"])


def test_a_refused_baidu_token_fails_its_task_at_once(baidu, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    baidu.answers["/urls"] = (401, b'{"error":401,"message":"token is not valid"}')
    with django_capture_on_commit_callbacks(execute=True):
        publish()
    tasks.run_pending()
    push = DBTaskResult.objects.get(task_path="citydesk.api.tasks.push_to_baidu")
    assert push.status == "FAILED" and len(push.worker_ids) == 1  # one try, not 48
    assert len(baidu.received) == 1


def test_a_drafts_saves_store_no_task_for_partners(django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        draft = actions.create_article(ArticleData(title="草稿", body=[]))
        actions.edit_article(draft, {"title": "草稿二"})
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert "citydesk.api.tasks.notify_change" not in paths
    with django_capture_on_commit_callbacks(execute=True):
        publish()
    assert DBTaskResult.objects.filter(task_path="citydesk.api.tasks.notify_change").count() == 1
