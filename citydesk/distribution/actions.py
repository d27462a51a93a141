"""The one way a delivery is asked for: stored as queued, sent by a durable task."""

from django.db import transaction
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.distribution import push
from citydesk.distribution.models import Distribution


class DistributionRefused(ValueError):
    """A delivery that cannot be asked for now; the message says why, in Chinese."""


def outlets() -> list[str]:
    """The outlets configured here (only they are shown)."""
    return [Distribution.Outlet.APP] if push.backend() is not None else []


def send_to_app(article: Article, requested_by: str = "") -> Distribution:
    """头条推送 of a live article (again, after a failure or for a new headline)."""
    if Distribution.Outlet.APP not in outlets():
        raise DistributionRefused("没有配置 App 推送")
    if not article.is_live:
        raise DistributionRefused("只有已发布的稿件可以推送")
    from citydesk.distribution.tasks import send_push

    with transaction.atomic():
        delivery, _ = Distribution.objects.update_or_create(
            article=article,
            outlet=Distribution.Outlet.APP,
            defaults={
                "state": Distribution.State.QUEUED,
                "error": "",
                "requested_by": requested_by,
                "updated_at": timezone.now(),
            },
        )
        send_push.enqueue(distribution_id=delivery.pk)
    return delivery
