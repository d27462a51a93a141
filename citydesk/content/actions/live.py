"""图文直播 through the door: a live article's times, and its updates posted, edited,
pinned and deleted.

The times show on the article's page, so setting them is a change to the article (its
pages purged, as any edit). An update is not: it announces `live_updated`, whose
follow-up purges the article's updates fragment (a new update, a pin: nothing else, so a
busy event does not re-render its page, however many readers it has; an edit or a
deletion: the page too, whose JSON-LD holds the updates as they were).
"""

from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from citydesk.content import signals
from citydesk.content.actions import _article_change, get_or_create_person
from citydesk.content.models import Article, Image, LiveCoverage, LiveUpdate

MAX_TEXT = 2000
POLL_SECONDS = (2, 60)  # the fastest and slowest a desk may set


class LiveRefused(ValueError):
    """A change the live article cannot take; the message says why, for the editor."""


def set_live_coverage(
    article: Article,
    *,
    starts_at: datetime,
    ends_at: datetime | None = None,
    poll_seconds: int = 3,
) -> LiveCoverage:
    """Make the article live coverage, or change its times."""
    if ends_at is not None and ends_at <= starts_at:
        raise LiveRefused("结束时间须晚于开始时间")
    if not POLL_SECONDS[0] <= poll_seconds <= POLL_SECONDS[1]:
        raise LiveRefused(f"刷新间隔须在 {POLL_SECONDS[0]} 到 {POLL_SECONDS[1]} 秒之间")
    with _article_change(article):
        coverage, _ = LiveCoverage.objects.update_or_create(
            article=article,
            defaults={"starts_at": starts_at, "ends_at": ends_at, "poll_seconds": poll_seconds},
        )
    return coverage


def end_live_coverage(article: Article, *, at: datetime | None = None) -> LiveCoverage:
    coverage = _coverage(article)
    return set_live_coverage(
        article,
        starts_at=min(coverage.starts_at, at or timezone.now()),
        ends_at=at or timezone.now(),
        poll_seconds=coverage.poll_seconds,
    )


def _coverage(article: Article) -> LiveCoverage:
    coverage = LiveCoverage.objects.filter(article=article).first()
    if coverage is None:
        raise LiveRefused("这篇稿件不是图文直播")
    return coverage


def _open(coverage: LiveCoverage) -> None:
    article = coverage.article
    if article.status in (Article.Status.RETRACTED, Article.Status.UNPUBLISHED):
        raise LiveRefused(f"稿件已{article.get_status_display()}，不能再更新直播")
    if coverage.state() == LiveCoverage.State.ENDED:
        raise LiveRefused("直播已结束，不能再发布或修改更新")


def _checked(kind: str, text: str, image: Image | None, video_url: str) -> None:
    if kind not in LiveUpdate.Kind.values:
        raise LiveRefused("未知的更新类型")
    if len(text) > MAX_TEXT:
        raise LiveRefused(f"一条更新最多 {MAX_TEXT} 字（现有 {len(text)} 字）")
    if kind == LiveUpdate.Kind.TEXT and not text.strip():
        raise LiveRefused("文字更新不能为空")
    if kind == LiveUpdate.Kind.PICTURE and image is None:
        raise LiveRefused("图片更新须附一张图片")
    if kind == LiveUpdate.Kind.VIDEO and not video_url.startswith(("https://", "http://")):
        raise LiveRefused("视频更新须填写视频地址（http 或 https）")
    if len(video_url) > 500:
        raise LiveRefused("视频地址最长 500 个字符")


def _announce(coverage: LiveCoverage, *, page: bool = False) -> None:
    signals.live_updated.enqueue(article_id=coverage.pk, page=page)


def post_live_update(
    article: Article,
    *,
    text: str = "",
    kind: str = LiveUpdate.Kind.TEXT,
    image: Image | None = None,
    video_url: str = "",
    author: str = "",
    user: User | None = None,
    posted_at: datetime | None = None,
) -> LiveUpdate:
    """A new update; `posted_at` (not in the future) is for updates brought over from
    elsewhere, such as the demo's or another system's, posted when they happened."""
    if posted_at is not None and posted_at > timezone.now():
        raise LiveRefused("更新的发布时间不能晚于现在")
    with transaction.atomic():
        # Locked before it is checked: an end committed meanwhile is seen.
        coverage = LiveCoverage.objects.select_for_update().filter(article=article).first()
        if coverage is None:
            raise LiveRefused("这篇稿件不是图文直播")
        _open(coverage)
        _checked(kind, text, image, video_url)
        update = LiveUpdate.objects.create(
            coverage=coverage,
            kind=kind,
            text=text.strip(),
            image=image,
            video_url=video_url,
            author=get_or_create_person(author) if author.strip() else None,
            created_by=user,
            posted_at=posted_at or timezone.now(),
        )
        _announce(coverage)
    return update


def edit_live_update(
    update: LiveUpdate, *, text: str, image: Image | None = None, video_url: str | None = None
) -> LiveUpdate:
    with transaction.atomic():
        _open(update.coverage)
        image = image if image is not None else update.image
        video_url = video_url if video_url is not None else update.video_url
        _checked(update.kind, text, image, video_url)
        update.text, update.image, update.video_url = text.strip(), image, video_url
        update.edited_at = timezone.now()
        update.save()
        _announce(update.coverage, page=True)
    return update


def pin_live_update(update: LiveUpdate, pinned: bool = True) -> LiveUpdate:
    with transaction.atomic():
        _open(update.coverage)
        update.pinned = pinned
        update.save(update_fields=["pinned"])
        _announce(update.coverage)
    return update


def delete_live_update(update: LiveUpdate) -> None:
    # A mistake is taken down even after the event: deleting is never refused.
    with transaction.atomic():
        coverage = update.coverage
        update.delete()
        _announce(coverage, page=True)
