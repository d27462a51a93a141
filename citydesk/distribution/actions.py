"""The one way a delivery is asked for: stored as queued, sent by a durable task."""

from django.db import transaction
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.distribution import push
from citydesk.distribution.models import Distribution
from citydesk.wechat import client as wechat_client


class DistributionRefused(ValueError):
    """A delivery that cannot be asked for now; the message says why, in Chinese."""


def outlets() -> list[str]:
    """The outlets configured here (only they are shown)."""
    found: list[str] = [Distribution.Outlet.APP] if push.backend() is not None else []
    return found + ([Distribution.Outlet.WECHAT] if wechat_client.configured() else [])


def _queue(article: Article, outlet: str, state: str, requested_by: str) -> Distribution:
    delivery, _ = Distribution.objects.update_or_create(
        article=article,
        outlet=outlet,
        defaults={
            "state": state,
            "error": "",
            "requested_by": requested_by,
            "updated_at": timezone.now(),
        },
    )
    return delivery


def send_to_app(article: Article, requested_by: str = "") -> Distribution:
    """头条推送 of a live article (again, after a failure or for a new headline)."""
    if Distribution.Outlet.APP not in outlets():
        raise DistributionRefused("没有配置 App 推送")
    if not article.is_live:
        raise DistributionRefused("只有已发布的稿件可以推送")
    from citydesk.distribution.tasks import send_push

    with transaction.atomic():
        delivery = _queue(article, Distribution.Outlet.APP, Distribution.State.QUEUED, requested_by)
        send_push.enqueue(distribution_id=delivery.pk)
    return delivery


def draft_for_wechat(article: Article, requested_by: str = "") -> Distribution:
    """The live piece to the 公众号's 草稿箱 (again, after a failure or an edit)."""
    if Distribution.Outlet.WECHAT not in outlets():
        raise DistributionRefused("没有配置公众号")
    if not article.is_live:
        raise DistributionRefused("只有已发布的稿件可以发到公众号")
    from citydesk.distribution.tasks import wechat_prepare

    with transaction.atomic():
        current = (
            Distribution.objects.select_for_update()
            .filter(article=article, outlet=Distribution.Outlet.WECHAT)
            .first()
        )
        if current is not None and not may_draft(current):
            raise DistributionRefused(f"公众号{current.get_state_display()}，不能重新生成草稿")
        delivery = _queue(
            article, Distribution.Outlet.WECHAT, Distribution.State.QUEUED, requested_by
        )
        Distribution.objects.filter(pk=delivery.pk).update(remote={})
        wechat_prepare.enqueue(distribution_id=delivery.pk)
    return delivery


def may_draft(delivery: Distribution) -> bool:
    """A new 公众号 draft replaces one not yet published, or one that failed; never one
    on its way or out (that would publish the piece twice)."""
    return delivery.state in (Distribution.State.DRAFTED, Distribution.State.FAILED)


def publish_on_wechat(article: Article, requested_by: str = "") -> Distribution:
    """An editor's click: the draft in the 草稿箱 goes out (发布)."""
    from citydesk.distribution.tasks import wechat_submit

    with transaction.atomic():
        delivery = (
            Distribution.objects.select_for_update()
            .filter(article=article, outlet=Distribution.Outlet.WECHAT)
            .first()
        )
        if delivery is None or delivery.state != Distribution.State.DRAFTED:
            raise DistributionRefused("请先生成公众号草稿")
        if not article.is_live:
            raise DistributionRefused("稿件已不在网站上，不能发到公众号")
        # Submitted at once, under the lock: a second click finds it on its way.
        delivery.requested_by, delivery.state = requested_by, Distribution.State.SUBMITTED
        delivery.save(update_fields=["requested_by", "state"])
        wechat_submit.enqueue(distribution_id=delivery.pk)
    return delivery


def needs_taking_down(delivery: Distribution) -> bool:
    """A 公众号 article still out (or going out) for a piece the site has retracted: the
    editor is reminded to delete it there."""
    return (
        delivery.outlet == Distribution.Outlet.WECHAT
        and delivery.state in (Distribution.State.SUBMITTED, Distribution.State.PUBLISHED)
        and delivery.article.status == Article.Status.RETRACTED
    )
