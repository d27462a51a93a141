"""Keeping the newsroom's records for saves made outside its editor (the Django admin,
the administrators' tool): every save is a new version with its revision, as in the
editor; a change of state is a workflow step (citydesk.newsroom.actions), which keeps its
own record, so the history of an article has no gaps whichever way it was changed."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from citydesk.content import actions as content
from citydesk.content.models import Article, Channel, Person, Tag
from citydesk.newsroom import revisions
from citydesk.newsroom.actions import display_name
from citydesk.newsroom.models import Revision


def admin_save(
    user: User | AnonymousUser,
    article: Article,
    changes: dict[str, Any],
    *,
    channels: Iterable[Channel] | None = None,
    tags: Iterable[Tag] | None = None,
    credits: Iterable[tuple[str, Person]] | None = None,
    note: str = "",
) -> Revision:
    """Store the admin's changes to `article`'s fields (never its state) as a new version,
    through the one door, and keep the revision it made."""
    content.edit_article(
        article, changes, channels=channels, tags=tags, credits=credits, new_version=True
    )
    actor = user if isinstance(user, User) else None
    return Revision.objects.create(
        article=article,
        version=article.version,
        author=actor,
        author_name=display_name(actor) if actor is not None else "系统",
        fields=revisions.text_of(article),
        note=(note or "在后台保存")[:200],
    )
