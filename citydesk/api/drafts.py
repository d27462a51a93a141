"""Partners' drafts in: an article POSTed in the blocks form or as ninjs becomes a draft
through the content door (or, from a newsroom token that asks, a piece submitted
through the newsroom's workflow), marked with its partner and 来源.

Everything is checked before anything is stored: a bad field answers 422 with each
field's error and stores nothing. A partner's `guid` makes the POST idempotent: the
same guid from the same token answers the article made the first time.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from citydesk.api import tasks
from citydesk.api.models import ApiToken
from citydesk.content import actions as content
from citydesk.content.actions import ArticleData
from citydesk.content.models import Article, ArticleCredit, Channel
from citydesk.content.richtext import html_to_blocks
from citydesk.content.sanitize import BodyError, clean_blocks, clean_url
from citydesk.newsroom import actions as newsroom

MAX_BLOCKS = 2000
GUID = re.compile(r"[A-Za-z0-9._:/-]{1,80}")
ROLES = {r.value for r in ArticleCredit.Role}


def has_nul(value: Any) -> bool:
    """Whether a NUL character hides anywhere in the value (PostgreSQL stores none)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class Invalid(ValueError):
    """Fields the draft cannot be made from: [(location, message)]."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Draft:
    guid: str
    title: str
    body: list[dict[str, Any]]
    subtitle: str = ""
    summary: str = ""
    source: str = ""
    source_url: str = ""
    channels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    credits: tuple[tuple[str, str], ...] = ()
    submit: bool = False


@dataclass
class Received:
    article: Article
    created: bool
    notice: str = ""


def external_id(token: ApiToken, guid: str) -> str:
    return f"api:{token.pk}:{guid}"


def checked(draft: Draft) -> list[dict[str, Any]]:
    """The draft's body as clean blocks; raises Invalid for what cannot be stored. The
    same checks for both forms (the blocks form's schema says most of them first)."""
    errors: list[tuple[str, str]] = []
    if has_nul(vars(draft)):
        errors.append(("(draft)", "NUL characters are not allowed"))
    if not GUID.fullmatch(draft.guid):
        errors.append(("guid", "1 to 80 of A-Z a-z 0-9 . _ : / -"))
    for name, value, most in (
        ("title", draft.title, 200),
        ("subtitle", draft.subtitle, 200),
        ("summary", draft.summary, 2000),
        ("source", draft.source, 100),
        ("source_url", draft.source_url, 500),
    ):
        if len(value) > most:
            errors.append((name, f"at most {most} characters"))
    if not draft.title.strip():
        errors.append(("title", "a title is needed"))
    if len(draft.channels) > 10 or len(draft.tags) > 20 or len(draft.credits) > 20:
        errors.append(("(draft)", "at most 10 channels, 20 tags and 20 credits"))
    errors += [("tags", "a tag of at most 50 characters") for t in draft.tags if len(t) > 50]
    errors += [
        ("credits", "a name of 1 to 50 characters")
        for _, name in draft.credits
        if not 0 < len(name) <= 50
    ]
    if len(draft.body) > MAX_BLOCKS:
        errors.append(("body", f"at most {MAX_BLOCKS} blocks"))
    try:
        blocks = clean_blocks(draft.body)
    except BodyError as exc:
        errors.append(("body", str(exc)))
        blocks = []
    if draft.body and not blocks:
        errors.append(("body", "no block of a known type with content"))
    known = set(Channel.objects.filter(slug__in=draft.channels).values_list("slug", flat=True))
    errors += [("channels", f"no channel {slug!r}") for slug in draft.channels if slug not in known]
    errors += [("credits", f"no role {role!r}") for role, _ in draft.credits if role not in ROLES]
    if draft.source_url and not clean_url(draft.source_url).startswith(("http://", "https://")):
        errors.append(("source_url", "not an http(s) URL"))
    if errors:
        raise Invalid(errors)
    return blocks


def receive(token: ApiToken, draft: Draft) -> Received:
    """Store the draft (or answer the one stored for its guid)."""
    existing = Article.objects.filter(external_id=external_id(token, draft.guid)).first()
    if existing is not None:
        return Received(existing, created=False)
    blocks = checked(draft)
    data = ArticleData(
        title=draft.title,
        subtitle=draft.subtitle,
        summary=draft.summary,
        body=blocks,
        # The partner's mark: its configured 来源 wins over what it sends.
        source=token.source or draft.source or token.name,
        source_url=clean_url(draft.source_url),
        channels=list(draft.channels),
        tags=list(draft.tags),
        credits=list(draft.credits),
        external_id=external_id(token, draft.guid),
    )
    try:
        with transaction.atomic():
            article = content.create_article(data, created_by=token.user)
            # The fetch is a durable task stored with the article: a crash loses neither.
            if any(
                b.get("type") == "image" and b.get("src", "").startswith("http") for b in blocks
            ):
                tasks.fetch_pictures.enqueue(article_id=article.pk)
    except IntegrityError:
        # The same guid, POSTed twice at once (a retry after a timeout): the other
        # request stored it.
        existing = Article.objects.filter(external_id=data.external_id).first()
        if existing is None:
            raise
        return Received(existing, created=False)
    notice = ""
    if draft.submit and token.user is not None:
        try:
            article = newsroom.submit(token.user, article, "合作方接口投稿")
        except (newsroom.WorkflowError, PermissionDenied) as exc:
            notice = f"kept as a draft: {exc}"
    elif draft.submit:
        notice = "kept as a draft: only a newsroom token may submit"
    return Received(article, created=True, notice=notice)


def from_ninjs(doc: dict[str, Any]) -> Draft:
    """A draft from a ninjs 3.1 or 2.2 document (already valid against its schema)."""

    def entries(name: str) -> list[dict[str, Any]]:
        value = doc.get(name) or doc.get(name.lower()) or []
        return [v for v in value if isinstance(v, dict)]

    def by_role(name: str, role: str, key: str = "role") -> list[dict[str, Any]]:
        return [e for e in entries(name) if e.get(key) == role]

    headlines = entries("headlines")
    main = by_role("headlines", "main") or headlines[:1]
    sub = by_role("headlines", "sub")
    summary = by_role("descriptions", "summary") or entries("descriptions")[:1]
    body = _body_of(entries("bodies"))
    source = next(iter(by_role("infoSources", "source")), {})
    return Draft(
        guid=str(doc.get("uri", "")),
        title=str(main[0]["value"]) if main else "",
        subtitle=str(sub[0]["value"]) if sub else "",
        summary=str(summary[0]["value"]) if summary else "",
        body=body,
        source=str(source.get("name", "")),
        source_url=str(source.get("uri", "")),
        channels=tuple(
            str(s.get("literal", "")) for s in entries("subjects") if s.get("rel") == "channel"
        ),
        tags=tuple(str(s.get("name", "")) for s in entries("subjects") if s.get("rel") == "tag"),
        credits=tuple(
            (str(p.get("rel")), str(p.get("name", "")))
            for p in entries("people")
            if p.get("rel") in ROLES and p.get("name")
        ),
    )


def _body_of(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks from a ninjs `bodies` list: citydesk's blocks, else HTML, else plain text."""
    for body in bodies:
        if body.get("role") == "blocks" or "blocks+json" in str(body.get("contentType", "")):
            try:
                value = json.loads(str(body.get("value", "")))
            except ValueError as exc:
                raise Invalid([("bodies", f"blocks are not JSON: {exc}")]) from exc
            if not isinstance(value, list):
                raise Invalid([("bodies", "blocks must be a JSON list")])
            return value
    for body in bodies:
        kind = str(body.get("contentType") or body.get("contenttype") or "")
        if body.get("role") == "html" or "html" in kind:
            return html_to_blocks(str(body.get("value", "")))
    for body in bodies:
        return [
            {"type": "paragraph", "text": line.strip()}
            for line in str(body.get("value", "")).splitlines()
            if line.strip()
        ]
    return []
