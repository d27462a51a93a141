"""Editors' picks for 今日推荐. The box is a fragment that lives a minute, so a pick
needs no purge: it shows within that minute, and leaves when it expires."""

from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.recommend.models import Pick, tomorrow


def do_pick_article(
    article: Article,
    *,
    until: datetime | None = None,
    position: int = 0,
    by: User | None = None,
) -> Pick:
    until = until or tomorrow()
    if timezone.is_naive(until):
        raise ValueError("推荐截止时间必须带时区")
    if until <= timezone.now():
        raise ValueError("推荐截止时间已经过去，请选择将来的时间")
    return Pick.objects.create(article=article, expires_at=until, position=position, picked_by=by)
