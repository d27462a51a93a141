"""Tables of the database ranking backend (`backends/database.py`); the Redis backend
keeps the same things in Redis. Times are whole hours or seconds since the epoch."""

from django.db import models


class Seen(models.Model):
    """When a visitor's view of an article last counted: the 30-minute de-duplication.

    `key` is a salted hash of the visitor's signals and the article (see `beacon`), so no
    address is stored; rows older than the window are deleted as views come in.
    """

    key = models.BigIntegerField(primary_key=True)
    counted_at = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key:016x}@{self.counted_at}"


class Bucket(models.Model):
    """Views of an article counted in one hour."""

    hour = models.IntegerField()
    article_id = models.BigIntegerField()
    views = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "article_id"], name="rankings_bucket_hour")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}@{self.hour}: {self.views}"


class Total(models.Model):
    """An article's views in a sliding window: the buckets inside it, summed as views
    arrive, and the hour that falls out of the window subtracted as it does."""

    span = models.CharField(max_length=8)  # the window's name; WINDOW is an SQL keyword
    article_id = models.BigIntegerField()
    views = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["span", "article_id"], name="rankings_total_key")
        ]
        # In the order `top` reads, so a top ten is a walk of ten index entries.
        indexes = [
            models.Index(fields=["span", "-views", "-article_id"], name="rankings_total_rank")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} in {self.span}: {self.views}"


class Roll(models.Model):
    """Every bucket older than `until_hour` has been subtracted from `span`'s totals."""

    span = models.CharField(max_length=8, primary_key=True)
    until_hour = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.span} from hour {self.until_hour}"
