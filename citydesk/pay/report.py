"""稿费 and 绩效 for a date range: what each person published, how it was read, and what
it earns by the rate table in force on each piece's day.

Rules (docs/newsroom.md, 稿费):
- A piece counts on its day of publication (Beijing time) if it is published now; a
  retracted piece is counted as retracted and earns nothing.
- Original (原创): its 来源 is blank or one of the paper's own (CITYDESK_OWN_SOURCES);
  anything else is a repost (转载).
- Writers (文) share (per piece + per thousand 字 × 字数/1000) × the 头条 multiplier if
  it was a 头条 × the 原创 multiplier if original, by the table's share rule: equal, or
  the first writer `lead_percent` and the others the rest equally.
- Photographers (摄) share per photo × the body's pictures; video editors (视频) per
  video × its videos; equally among those credited in the role.
- Views: 24 h and 7 days from the rankings; total is the count carried over at import
  plus the 30 days the rankings keep.
"""

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from citydesk.content.models import Article, ArticleCredit, Channel
from citydesk.content.richtext import char_count
from citydesk.pay.models import ZERO, RateTable
from citydesk.rankings import queries as rankings

BEIJING = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
Role = ArticleCredit.Role


@dataclass
class Line:
    """One person's figures over the range."""

    person_id: int
    name: str
    desk: str
    pieces: int = 0
    originals: int = 0
    reposts: int = 0
    retracted: int = 0
    chars: int = 0  # 字数 of the pieces they wrote
    photos: int = 0
    videos: int = 0
    headlines: int = 0
    views_day: int = 0
    views_week: int = 0
    views_total: int = 0
    amount: Decimal = ZERO
    article_ids: set[int] = field(default_factory=set, repr=False)

    def rounded(self) -> Decimal:
        return self.amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Piece:
    pk: int
    retracted: bool
    day: date
    original: bool
    headline: bool
    chars: int
    photos: int
    videos: int
    carried_views: int


def own_sources() -> set[str]:
    return {s.strip() for s in settings.CITYDESK_OWN_SOURCES.split(",") if s.strip()}


def _piece(row: tuple, own: set[str]) -> Piece:
    pk, status, published_at, source, headline, body, carried_views = row
    kinds = [block.get("type") for block in body or []]
    return Piece(
        pk=pk,
        retracted=status == Article.Status.RETRACTED,
        day=published_at.astimezone(BEIJING).date(),
        original=not source or source in own,
        headline=headline,
        chars=char_count(body or []),
        photos=kinds.count("image"),
        videos=kinds.count("video"),
        carried_views=carried_views,
    )


class Rates:
    """The table in force on a day: the newest whose effective_from is not after it."""

    def __init__(self, tables: Iterable[RateTable]) -> None:
        self.tables = sorted(tables, key=lambda t: t.effective_from)
        self.days = [t.effective_from for t in self.tables]

    def on(self, day: date) -> RateTable | None:
        at = bisect.bisect_right(self.days, day)
        return self.tables[at - 1] if at else None


def writer_shares(table: RateTable, writers: int) -> list[Decimal]:
    """Each writer's share of a piece, in byline order, adding up to 1."""
    if writers == 1:
        return [Decimal(1)]
    if table.share == RateTable.Share.LEAD:
        lead = Decimal(table.lead_percent) / 100
        return [lead] + [(1 - lead) / (writers - 1)] * (writers - 1)
    return [Decimal(1) / writers] * writers


def writing_pay(table: RateTable, piece: Piece) -> Decimal:
    pay = table.per_piece + table.per_thousand_chars * Decimal(piece.chars) / 1000
    if piece.headline:
        pay *= table.headline_multiplier
    if piece.original:
        pay *= table.original_multiplier
    return pay


def report(
    start: date,
    end: date,
    *,
    person_id: int | None = None,
    desk: str = "",
    channel: Channel | None = None,
) -> list[Line]:
    """Every credited person's line for the pieces published from `start` to `end`
    (Beijing days, both included), by amount, highest first; `person_id`, `desk` (a
    person's 单位) and `channel` narrow it."""
    if end < start:
        raise ValueError("结束日期不能早于开始日期")
    low = datetime.combine(start, time.min, BEIJING)
    high = datetime.combine(end + timedelta(days=1), time.min, BEIJING)
    articles = Article.objects.filter(
        published_at__gte=low,
        published_at__lt=high,
        status__in=[Article.Status.PUBLISHED, Article.Status.RETRACTED],
    )
    if channel is not None:
        articles = articles.filter(channels=channel)
    # Narrowed first in the database: one person's month reads their pieces only (every
    # credit of those pieces is still read, for the shares).
    if person_id is not None:
        articles = articles.filter(credits__person_id=person_id)
    if desk:
        articles = articles.filter(credits__person__organization=desk)
    credits: dict[int, list[tuple[int, str, str, str]]] = {}
    for article_id, pid, name, org, role in (
        ArticleCredit.objects.filter(article__in=articles)
        .order_by("article_id", "position", "id")
        .values_list("article_id", "person_id", "person__name", "person__organization", "role")
    ):
        credits.setdefault(article_id, []).append((pid, name, org, role))
    own = own_sources()
    pieces = {
        row[0]: _piece(row, own)
        for row in Article.objects.filter(pk__in=list(credits)).values_list(
            "pk", "status", "published_at", "source", "is_headline", "body", "view_count"
        )
    }
    rates = Rates(RateTable.objects.all())
    lines: dict[int, Line] = {}
    for article_id, names in credits.items():
        piece = pieces[article_id]
        table = rates.on(piece.day)
        by_role: dict[str, list[tuple[int, str, str, str]]] = {}
        for credit in names:
            by_role.setdefault(credit[3], []).append(credit)
        earned: dict[int, Decimal] = {}
        if table is not None and not piece.retracted:
            writers = by_role.get(Role.WRITER, [])
            if writers:
                pay = writing_pay(table, piece)
                for (pid, *_), share in zip(
                    writers, writer_shares(table, len(writers)), strict=True
                ):
                    earned[pid] = earned.get(pid, ZERO) + pay * share
            for role, rate, count in (
                (Role.PHOTOGRAPHER, table.per_photo, piece.photos),
                (Role.VIDEO_EDITOR, table.per_video, piece.videos),
            ):
                shooters = by_role.get(role, [])
                for pid, *_ in shooters:
                    earned[pid] = earned.get(pid, ZERO) + rate * count / len(shooters)
        for pid, name, org, role in names:
            if (person_id is not None and pid != person_id) or (desk and org != desk):
                continue
            line = lines.setdefault(pid, Line(pid, name, org))
            first = article_id not in line.article_ids  # credited as 文 and 摄: one piece
            line.article_ids.add(article_id)
            line.amount += earned.pop(pid, ZERO)
            _credit_work(line, piece, role)
            if not first:
                continue
            if piece.retracted:
                line.retracted += 1
                continue
            line.pieces += 1
            line.originals += piece.original
            line.reposts += not piece.original
            line.headlines += piece.headline
    _add_views(lines.values(), pieces)
    return sorted(lines.values(), key=lambda line: (-line.amount, line.name))


def _credit_work(line: Line, piece: Piece, role: str) -> None:
    if piece.retracted:
        return
    if role == Role.WRITER:
        line.chars += piece.chars
    elif role == Role.PHOTOGRAPHER:
        line.photos += piece.photos
    elif role == Role.VIDEO_EDITOR:
        line.videos += piece.videos


def _add_views(lines: Iterable[Line], pieces: dict[int, Piece]) -> None:
    live = [pk for pk, piece in pieces.items() if not piece.retracted]
    day = rankings.views(live, "day")
    week = rankings.views(live, "week")
    month = rankings.views(live, "month")
    for line in lines:
        for pk in line.article_ids:
            if not pieces[pk].retracted:
                line.views_day += day.get(pk, 0)
                line.views_week += week.get(pk, 0)
                line.views_total += pieces[pk].carried_views + month.get(pk, 0)
