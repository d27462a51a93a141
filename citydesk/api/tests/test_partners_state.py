"""The 分发 panel's 合作方 line: how a piece's latest event reached each partner."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from citydesk.api.models import Delivery, Subscription
from citydesk.content import actions
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article
from citydesk.distribution import queries

pytestmark = pytest.mark.django_db


def partners(article: Article) -> str | None:
    found = [s for s in queries.states(article) if s.outlet == "partners"]
    return found[0].summary if found else None


def deliver(subscription: Subscription, article: Article, state: str, error: str = "") -> None:
    Delivery.objects.create(
        id=uuid.uuid4(), subscription=subscription, event="publish", article_id=article.pk,
        payload={}, state=state, last_error=error,
    )  # fmt: skip


def test_partners_are_shown_only_when_a_webhook_is_on():
    article = actions.create_article(
        ArticleData(
            title="合作方测试", body=[], published_at=timezone.now() - timedelta(minutes=1)
        ),
        status=Article.Status.PUBLISHED,
    )
    assert partners(article) is None  # no partner: no line
    app = Subscription.objects.create(name="客户端", url="https://app.example.cn/hook")
    portal = Subscription.objects.create(name="门户", url="https://portal.example.cn/hook")
    assert partners(article) == "未通知"
    deliver(app, article, Delivery.State.DELIVERED)
    deliver(portal, article, Delivery.State.FAILED, "HTTP 502")
    assert partners(article) == "已送达 1，失败 1（门户：HTTP 502）"
    deliver(portal, article, Delivery.State.DELIVERED)  # the retry got through
    assert partners(article) == "已送达 2"
