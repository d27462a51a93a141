"""Deliveries as durable tasks: retried with backoff; each failure is written on the
delivery (what editors see), never on the article."""

from django.db.models import F
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.core.tasks import Gone, Policy, follow_up
from citydesk.distribution import push
from citydesk.distribution.models import Distribution
from citydesk.syndication.meta import absolute_url


def _record(delivery: Distribution, **fields: object) -> None:
    Distribution.objects.filter(pk=delivery.pk).update(
        **fields, attempts=F("attempts") + 1, updated_at=timezone.now()
    )


@follow_up(Policy(max_attempts=4), label="App 推送")
def send_push(distribution_id: int) -> str:
    delivery = Distribution.objects.select_related("article").filter(pk=distribution_id).first()
    if delivery is None:
        raise Gone(f"distribution {distribution_id} was deleted")
    if delivery.state == Distribution.State.SENT:
        # A retry left over from a failure an editor's 重试 has since sent: an alert
        # reaches readers' phones once.
        raise Gone(f"distribution {distribution_id} was sent already")
    article: Article = delivery.article
    backend = push.backend()
    if backend is None or not article.is_live:
        why = "App 推送已停用" if backend is None else "稿件已不在网站上，未推送"
        _record(delivery, state=Distribution.State.FAILED, error=why)
        return why
    alert = push.Alert(
        article_id=article.pk,
        title=article.title,
        summary=article.summary[:100],
        url=absolute_url(article.get_absolute_url()),
    )
    try:
        remote = backend.send(alert)
    except push.PushError as exc:
        _record(delivery, state=Distribution.State.FAILED, error=str(exc))
        raise  # retried by the policy; the row shows the last error meanwhile
    _record(delivery, state=Distribution.State.SENT, error="", remote_id=remote)
    return remote
