"""Deliveries as durable tasks: retried with backoff; each failure is written on the
delivery (what editors see), never on the article."""

from collections.abc import Callable
from typing import Any

from django.db.models import F
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.core.tasks import Gone, Policy, follow_up
from citydesk.distribution import push, wechat
from citydesk.distribution.models import Distribution
from citydesk.syndication.meta import absolute_url
from citydesk.wechat.client import WechatError


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


# The 公众号 -----------------------------------------------------------------------------

# Each step is tried this often (its policy's attempts) before the delivery is failed for
# an editor to retry; WeChat's result is asked for this often before the same.
STEP_ATTEMPTS = 6
POLLS = 20
STEP = Policy(max_attempts=STEP_ATTEMPTS, first_delay=30, max_delay=3600)


def _wechat_delivery(distribution_id: int, state: str, *, needs: str = "") -> Distribution:
    delivery = Distribution.objects.select_related("article").filter(pk=distribution_id).first()
    if delivery is None or delivery.state != state or (needs and needs not in delivery.remote):
        raise Gone(f"distribution {distribution_id} is not waiting for this step")
    return delivery


def _wechat_step(delivery: Distribution, step: Callable[[], Any]) -> Any:
    """Run a step. A refusal is written on the delivery; the policy retries it (45009,
    no answer, not JSON) while it has attempts left, the delivery waiting in the state
    the step starts from; 40007, what retrying cannot mend, or the last attempt fail it
    for an editor's 重试."""
    try:
        return step()
    except wechat.Refused as exc:
        _record(delivery, state=Distribution.State.FAILED, error=str(exc))
        raise Gone(str(exc)) from exc
    except WechatError as exc:
        failures = int(delivery.remote.get("failures", 0)) + 1
        final = exc.code == wechat.INVALID_MEDIA or failures >= STEP_ATTEMPTS
        _record(
            delivery,
            state=Distribution.State.FAILED if final else delivery.state,
            error=wechat.reason(exc),
            remote={**delivery.remote, "failures": failures},
        )
        if final:
            raise Gone(str(exc)) from exc
        raise


def _done(delivery: Distribution, **fields: Any) -> None:
    """A step succeeded: its result kept, the failures counted afresh for the next."""
    remote = {k: v for k, v in fields.pop("remote").items() if k != "failures"}
    _record(delivery, remote=remote, error="", **fields)


@follow_up(STEP, label="公众号：上传图片")
def wechat_prepare(distribution_id: int) -> str:
    delivery = _wechat_delivery(distribution_id, Distribution.State.QUEUED)
    article = delivery.article

    def upload() -> dict[str, Any]:
        cover = wechat.upload_cover(wechat.cover_source(article))
        pictures = {src: wechat.upload_body_picture(src) for src in wechat.picture_sources(article)}
        return {"thumb_media_id": cover, "pictures": pictures}

    _done(delivery, remote=_wechat_step(delivery, upload))
    wechat_draft.enqueue(distribution_id=delivery.pk)
    return "uploaded"


@follow_up(STEP, label="公众号：存草稿")
def wechat_draft(distribution_id: int) -> str:
    delivery = _wechat_delivery(distribution_id, Distribution.State.QUEUED, needs="thumb_media_id")
    remote = dict(delivery.remote)
    content = wechat.to_html(delivery.article, remote.get("pictures", {}))
    media_id = _wechat_step(
        delivery, lambda: wechat.draft(delivery.article, remote["thumb_media_id"], content)
    )
    _done(delivery, state=Distribution.State.DRAFTED, remote={**remote, "media_id": media_id},
          remote_id=media_id)  # fmt: skip
    return str(media_id)


@follow_up(STEP, label="公众号：发布")
def wechat_submit(distribution_id: int) -> str:
    delivery = _wechat_delivery(distribution_id, Distribution.State.SUBMITTED, needs="media_id")
    if "publish_id" in delivery.remote:
        raise Gone(f"distribution {distribution_id} was submitted already")
    remote = dict(delivery.remote)
    publish_id = _wechat_step(delivery, lambda: wechat.submit(remote["media_id"]))
    _done(delivery, remote={**remote, "publish_id": publish_id}, remote_id=publish_id)
    wechat_follow.enqueue(distribution_id=delivery.pk)
    return str(publish_id)


class StillPublishing(Exception):
    """WeChat is still working on it (publish_status 1): asked again after the delay."""


# WeChat works a publication out in seconds to minutes: asked every 10 s, then less often.
@follow_up(Policy(max_attempts=POLLS, first_delay=10, max_delay=600), label="公众号：查询发布结果")
def wechat_follow(distribution_id: int) -> str:
    delivery = _wechat_delivery(distribution_id, Distribution.State.SUBMITTED, needs="publish_id")
    remote = dict(delivery.remote)
    reply = _wechat_step(delivery, lambda: wechat.result(remote["publish_id"]))
    status = reply.get("publish_status")
    if status == wechat.PUBLISHING:
        polls = int(remote.get("polls", 0)) + 1
        if polls >= POLLS:
            why = "公众号长时间没有给出发布结果，请到公众号后台查看"
            _record(delivery, state=Distribution.State.FAILED, error=why)
            return why
        _record(delivery, remote={**remote, "polls": polls})
        raise StillPublishing(f"publish {remote['publish_id']} is still being published")
    if status != 0:
        why = wechat.STATUS.get(status, f"未知状态 {status}")
        _record(delivery, state=Distribution.State.FAILED, error=f"公众号发布失败：{why}")
        return why
    items = (reply.get("article_detail") or {}).get("item") or [{}]
    remote |= {
        "article_id": reply.get("article_id", ""),
        "article_url": items[0].get("article_url", ""),
    }
    _done(delivery, state=Distribution.State.PUBLISHED, remote=remote)
    return str(remote["article_url"])
