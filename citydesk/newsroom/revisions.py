"""Saving an article's text in the newsroom: revisions, stale saves, compare, restore.

Every save keeps a Revision of the text fields. A save names the version it was made
on; if someone saved after that, it is refused (StaleEdit) and kept as an unapplied
revision, so neither person's text is lost and the refused one can be compared with
what is stored.

Storage policy (`citydesk prune_revisions`): every revision of the last KEEP_DAYS days
is kept, and beyond that the newest KEEP_LATEST of each article, so an article's
revisions are bounded by its recent activity, not by its age.
"""

import difflib
import html
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from citydesk.content import actions as content
from citydesk.content.blocks import blocks_to_text
from citydesk.content.models import Article, Channel
from citydesk.content.sanitize import BodyError, clean_blocks
from citydesk.newsroom import sensitive
from citydesk.newsroom.actions import display_name, let_through, may_edit
from citydesk.newsroom.models import Revision
from citydesk.newsroom.roles import Action, allows, role_of

# The article's own text: what a revision keeps and a restore puts back.
TEXT_FIELDS = (
    "title",
    "subtitle",
    "summary",
    "body",
    "source",
    "source_url",
    "byline_organization",
)
KEEP_DAYS = 30
KEEP_LATEST = 50


class EditError(ValueError):
    """A save whose content cannot be stored; the message says what to fix."""


class StaleEdit(EditError):
    """Someone saved after the version this save was made on."""

    def __init__(self, stored: Revision | None, refused: Revision) -> None:
        who = stored.author_name if stored is not None else "其他人"
        super().__init__(
            f"{who}在你打开之后保存了这篇稿件（第{refused.article.version}版），你的修改没有"
            f"覆盖它，已另存为未采用的版本，可以对比后再合并"
        )
        self.stored = stored
        self.refused = refused


def text_of(article: Article) -> dict[str, Any]:
    return {name: getattr(article, name) for name in TEXT_FIELDS}


def _checked(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(TEXT_FIELDS)
    if unknown:
        raise EditError(f"不能修改这些字段：{'、'.join(sorted(unknown))}")
    checked = dict(changes)
    if "title" in checked:
        title = str(checked["title"]).strip()
        if not title:
            raise EditError("标题不能为空")
        if len(title) > 200:
            raise EditError(f"标题最多200字，现在是{len(title)}字")
        checked["title"] = title
    if "body" in checked:
        try:
            checked["body"] = clean_blocks(checked["body"])
        except BodyError as exc:
            raise EditError(str(exc)) from exc
    return checked


def save_text(
    user: User,
    article: Article,
    changes: dict[str, Any],
    *,
    base_version: int,
    note: str = "",
    channels: list[Channel] | None = None,
    override_reason: str = "",
) -> Article:
    """Store `changes` (text fields) as a new version, if nobody saved since `base_version`;
    `channels`, given, become the article's channels in the same save.

    A piece that is live or scheduled has passed the sensitive-word check: an edit that
    brings in a listed word it did not hold is refused (SensitiveWords) unless a chief
    editor lets it through with `override_reason`, kept in the revision's note."""
    if not may_edit(user, article):
        raise PermissionDenied("你不能修改这篇稿件")
    checked = _checked(changes)
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)
        if current.version != base_version:
            refused = Revision(
                article=current,
                version=base_version,
                applied=False,
                author=user,
                author_name=display_name(user),
                fields={**text_of(current), **checked},
                note=note or "未采用：保存时稿件已被他人修改",
            )
            stale = StaleEdit(current.revisions.filter(applied=True).first(), refused)
        else:
            stale = None
            if current.status in (Article.Status.PUBLISHED, Article.Status.SCHEDULED):
                note = new_words_note(user, current, checked, override_reason) or note
            content.edit_article(current, checked, channels=channels, new_version=True)
            Revision.objects.create(
                article=current,
                version=current.version,
                author=user,
                author_name=display_name(user),
                fields=text_of(current),
                note=note,
            )
    if stale is not None:
        # Stored outside the refused transaction's outcome: the refused text is kept.
        stale.refused.save()
        raise stale
    article.refresh_from_db()
    return article


def new_words_note(
    user: User, current: Article, checked: dict[str, Any], override_reason: str
) -> str:
    """The sensitive-word check on an edit of a released piece: only words it did not
    hold before count. Returns the note of an override ("" when nothing new was found)."""
    stored = {hit.word for hit in sensitive.check_article(current)}
    fields = {name: checked.get(name, getattr(current, name)) for name in sensitive.FIELDS}
    new = [hit for hit in sensitive.check(fields) if hit.word not in stored]
    return let_through(user, new, override_reason)[:200]


def create_draft(
    user: User,
    changes: dict[str, Any],
    *,
    channels: list[Channel] | None = None,
    credits: list[tuple[str, str]] | None = None,
) -> Article:
    """A new draft written by `user`, its first revision kept; `credits` are its byline
    as (ArticleCredit role, name) pairs (a 选题's assignees)."""
    if not allows(role_of(user), Action.CREATE):
        raise PermissionDenied("你不能新建稿件")
    checked = _checked({"title": "", **changes})
    with transaction.atomic():
        article = content.create_article(
            content.ArticleData(
                title=checked["title"],
                body=checked.get("body", []),
                subtitle=checked.get("subtitle", ""),
                summary=checked.get("summary", ""),
                source=checked.get("source", ""),
                source_url=checked.get("source_url", ""),
                organization=checked.get("byline_organization", ""),
                channels=[channel.slug for channel in channels or []],
                credits=credits or [],
            ),
            created_by=user,
            version=1,
        )
        Revision.objects.create(
            article=article,
            version=1,
            author=user,
            author_name=display_name(user),
            fields=text_of(article),
            note="新建",
        )
    return article


def restore(user: User, article: Article, revision: Revision, *, base_version: int) -> Article:
    """Put a revision's text back, as a new version (the history keeps what it replaced)."""
    if revision.article_id != article.pk:
        raise EditError("这个版本不属于这篇稿件")
    return save_text(
        user,
        article,
        dict(revision.fields),
        base_version=base_version,
        note=f"恢复自第{revision.version}版",
    )


@dataclass
class FieldDiff:
    name: str
    label: str
    left: str
    right: str
    changed: bool
    # difflib's side-by-side table for long text (the body), else "".
    table: str = ""


def _text(name: str, value: Any) -> str:
    return blocks_to_text(value or []) if name == "body" else str(value or "")


def compare(left: Revision, right: Revision) -> list[FieldDiff]:
    """The two revisions field by field, with a side-by-side table where the body differs."""
    diffs = []
    for name in TEXT_FIELDS:
        a, b = _text(name, left.fields.get(name)), _text(name, right.fields.get(name))
        table = ""
        if name == "body" and a != b:
            table = difflib.HtmlDiff(wrapcolumn=60).make_table(
                # One line a block: the text form puts blank lines between them.
                [line for line in a.splitlines() if line],
                [line for line in b.splitlines() if line],
                # make_table escapes the lines but not these headers: names are free text.
                html.escape(f"第{left.version}版 {left.author_name}"),
                html.escape(f"第{right.version}版 {right.author_name}"),
                context=True,
            )
        label = str(getattr(Article._meta.get_field(name), "verbose_name", name))
        diffs.append(FieldDiff(name, label, a, b, a != b, table))
    return diffs


def prune(*, keep_days: int = KEEP_DAYS, keep_latest: int = KEEP_LATEST) -> int:
    """Delete revisions older than `keep_days` beyond each article's newest `keep_latest`.
    Returns how many were deleted."""
    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted = 0
    crowded = (
        Revision.objects.values("article_id")
        .annotate(n=Count("id"))
        .filter(n__gt=keep_latest)
        .values_list("article_id", flat=True)
    )
    for article_id in crowded.iterator():
        keep = Revision.objects.filter(article_id=article_id).values_list("id", flat=True)[
            :keep_latest
        ]
        old = Revision.objects.filter(article_id=article_id, at__lt=cutoff).exclude(
            id__in=list(keep)
        )
        deleted += old.delete()[0]
    return deleted
