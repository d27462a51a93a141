"""What readers and moderators read of comments."""

from django.db.models import QuerySet

from citydesk.comments.models import Comment
from citydesk.content.models import Article

SHOWN = 50  # the newest approved comments under an article


def shown(article: Article) -> tuple[int, list[Comment]]:
    """The count of approved comments and the newest of them."""
    approved = Comment.objects.filter(article=article, status=Comment.Status.APPROVED)
    return approved.count(), list(approved[:SHOWN])


def queue() -> QuerySet[Comment]:
    """What waits for a moderator: pending comments, the most reported first, then the
    oldest (the one waiting longest)."""
    pending = Comment.objects.filter(status=Comment.Status.PENDING)
    return pending.select_related("article").order_by("-reports", "created_at")


def reported() -> QuerySet[Comment]:
    """Approved comments readers reported, not yet enough to hide them."""
    return (
        Comment.objects.filter(status=Comment.Status.APPROVED, reports__gt=0)
        .select_related("article")
        .order_by("-reports", "-created_at")
    )


def recent() -> QuerySet[Comment]:
    """The newest approved comments, for the desk's 官方回复."""
    approved = Comment.objects.filter(status=Comment.Status.APPROVED)
    return approved.select_related("article").order_by("-created_at")
