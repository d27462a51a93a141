"""Rankings in the site's own database: the embedded default (SQLite), PostgreSQL too.

Views reach `record` in batches (see `citydesk.rankings.beacon`), each batch one
transaction: a burst of views is a few hundred statements every quarter second, not a
write per view. The statements are plain upserts that SQLite (3.35+) and PostgreSQL both
run: the de-duplication is `INSERT ... ON CONFLICT DO UPDATE ... WHERE ... RETURNING`,
which returns a row only when the view counts, so two processes can never both count
one view.
"""

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connections, transaction
from django.db.backends.utils import CursorWrapper

from citydesk.rankings.backends.base import (
    DEDUP_SECONDS,
    WINDOWS,
    RankingBackend,
    View,
    check_window,
    hour_of,
)

SEEN, BUCKET, TOTAL, ROLL = "rankings_seen", "rankings_bucket", "rankings_total", "rankings_roll"
LONGEST = max(WINDOWS.values())
SWEEP_SECONDS = 60  # how often a process deletes de-duplication rows that have expired
FILED = (
    "article_id IN (SELECT article_id FROM content_article_channels WHERE channel_id IN"
    " (SELECT id FROM content_channel WHERE id = %s OR parent_id = %s))"
)


class DatabaseBackend(RankingBackend):
    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.using: str = self.options.get("DATABASE", "default")
        self._swept = 0.0

    def record(self, views: Sequence[View], now: float) -> int:
        connection = connections[self.using]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        counted: Counter[tuple[int, int]] = Counter()
        with transaction.atomic(using=self.using), connection.cursor() as cursor:
            first = self._roll(cursor, hour_of(now), lock)
            for view in sorted(views, key=lambda v: v.at):
                cursor.execute(
                    f"INSERT INTO {SEEN} (key, counted_at) VALUES (%s, %s)"
                    f" ON CONFLICT (key) DO UPDATE SET counted_at = excluded.counted_at"
                    f" WHERE excluded.counted_at - {SEEN}.counted_at >= %s RETURNING key",
                    [view.key, int(view.at), DEDUP_SECONDS],
                )
                if cursor.fetchone() is not None:
                    counted[hour_of(view.at), view.article_id] += 1
            for (hour, article_id), n in counted.items():
                cursor.execute(
                    f"INSERT INTO {BUCKET} (hour, article_id, views) VALUES (%s, %s, %s)"
                    f" ON CONFLICT (hour, article_id)"
                    f" DO UPDATE SET views = {BUCKET}.views + excluded.views",
                    [hour, article_id, n],
                )
                for span in WINDOWS:
                    if hour >= first[span]:  # not an hour already rolled out of the window
                        cursor.execute(
                            f"INSERT INTO {TOTAL} (span, article_id, views) VALUES (%s, %s, %s)"
                            f" ON CONFLICT (span, article_id)"
                            f" DO UPDATE SET views = {TOTAL}.views + excluded.views",
                            [span, article_id, n],
                        )
            if now - self._swept >= SWEEP_SECONDS:
                cursor.execute(
                    f"DELETE FROM {SEEN} WHERE counted_at <= %s", [int(now) - DEDUP_SECONDS]
                )
                self._swept = now
        return sum(counted.values())

    def _roll(self, cursor: CursorWrapper, current: int, lock: str) -> dict[str, int]:
        """Subtract the hours that have left each window since the last roll; each
        window's first hour (never moved back by a batch with an older clock)."""
        first = {}
        for span, hours in WINDOWS.items():
            cut = current - hours + 1  # the window's first hour
            cursor.execute(f"SELECT until_hour FROM {ROLL} WHERE span = %s{lock}", [span])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    f"INSERT INTO {ROLL} (span, until_hour) VALUES (%s, %s)"
                    " ON CONFLICT (span) DO NOTHING",
                    [span, cut],
                )
                first[span] = cut
                continue
            until = int(row[0])
            first[span] = max(until, cut)
            if until >= cut:
                continue
            if cut - until >= hours:
                # Nothing of the old window is left (the site was down that long): rebuild.
                cursor.execute(f"DELETE FROM {TOTAL} WHERE span = %s", [span])
                cursor.execute(
                    f"INSERT INTO {TOTAL} (span, article_id, views)"
                    f" SELECT %s, article_id, SUM(views) FROM {BUCKET} WHERE hour >= %s"
                    " GROUP BY article_id",
                    [span, cut],
                )
            else:
                cursor.execute(
                    f"UPDATE {TOTAL} SET views = {TOTAL}.views - gone.views FROM"
                    f" (SELECT article_id, SUM(views) AS views FROM {BUCKET}"
                    "  WHERE hour >= %s AND hour < %s GROUP BY article_id) AS gone"
                    f" WHERE {TOTAL}.span = %s AND {TOTAL}.article_id = gone.article_id",
                    [until, cut, span],
                )
                cursor.execute(f"DELETE FROM {TOTAL} WHERE span = %s AND views <= 0", [span])
            cursor.execute(f"UPDATE {ROLL} SET until_hour = %s WHERE span = %s", [cut, span])
            if hours == LONGEST:
                cursor.execute(f"DELETE FROM {BUCKET} WHERE hour < %s", [cut])
        return first

    def top(
        self, window: str, *, channel_id: int | None = None, limit: int = 10
    ) -> list[tuple[int, int]]:
        check_window(window)
        where = "span = %s"
        params: list[Any] = [window]
        if channel_id is not None:
            where += f" AND {FILED}"
            params += [channel_id, channel_id]
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                f"SELECT article_id, views FROM {TOTAL} WHERE {where}"
                " ORDER BY views DESC, article_id DESC LIMIT %s",
                [*params, limit],
            )
            return [(int(a), int(v)) for a, v in cursor.fetchall()]

    def views(self, article_ids: Sequence[int], window: str) -> dict[int, int]:
        check_window(window)
        ids = list(article_ids)
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                f"SELECT article_id, views FROM {TOTAL} WHERE span = %s"
                f" AND article_id IN ({marks})",
                [window, *ids],
            )
            return {int(a): int(v) for a, v in cursor.fetchall()}

    def clear(self) -> None:
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            for table in (SEEN, BUCKET, TOTAL, ROLL):
                cursor.execute(f"DELETE FROM {table}")

    def state_size(self) -> dict[str, int]:
        sizes = {}
        with connections[self.using].cursor() as cursor:
            for table in (SEEN, BUCKET, TOTAL):
                cursor.execute(f"SELECT count(*) FROM {table}")
                sizes[table.removeprefix("rankings_")] = int(cursor.fetchone()[0])
        return sizes
