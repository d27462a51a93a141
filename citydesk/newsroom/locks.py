"""Soft locks: "王编 is editing this article since 10:02". The editor page renews its lock
while it is open (every LOCK_SECONDS / 3) and releases it on leaving; a lock nobody
renews lapses after LOCK_SECONDS, so a closed laptop never blocks anyone."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.newsroom.actions import display_name
from citydesk.newsroom.models import EditLock

LOCK_SECONDS = 120


def holder(article: Article) -> EditLock | None:
    """The live lock on the article, if anyone holds one."""
    return EditLock.objects.filter(article=article, expires__gt=timezone.now()).first()


def take(user: User, article: Article) -> EditLock:
    """Open the article for editing. Returns the lock that stands afterwards: the user's
    own (new or renewed), or someone else's live one, which the page shows as a warning."""
    now = timezone.now()
    expires = now + timedelta(seconds=LOCK_SECONDS)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                lock = EditLock.objects.select_for_update().filter(article=article).first()
                if lock is not None and lock.user_id != user.pk and lock.expires > now:
                    return lock
                if lock is None:
                    return EditLock.objects.create(
                        article=article,
                        user=user,
                        user_name=display_name(user),
                        since=now,
                        expires=expires,
                    )
                if lock.user_id != user.pk:  # a lapsed lock: it becomes this user's
                    lock.user, lock.user_name, lock.since = user, display_name(user), now
                lock.expires = expires
                lock.save()
                return lock
        except IntegrityError:  # two first takes at once: the other won, read it
            continue
    return EditLock.objects.get(article=article)


def release(user: User, article: Article) -> None:
    EditLock.objects.filter(article=article, user=user).delete()
