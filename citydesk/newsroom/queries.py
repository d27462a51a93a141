"""What the newsroom dashboard reads."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils import timezone

from citydesk.content.models import Article
from citydesk.core import tasks
from citydesk.distribution import queries as distribution
from citydesk.distribution.queries import OutletState
from citydesk.newsroom.models import Assignment, Proposal
from citydesk.newsroom.roles import Action, Role, allows, role_of
from citydesk.publishing.queries import CacheHealth, cache_health
from citydesk.rankings import queries as rankings
from citydesk.rankings.queries import Ranked

Status = Article.Status
LIMIT = 20


@dataclass
class Dashboard:
    role: Role | None
    my_drafts: list[Article] = field(default_factory=list)
    waiting: list[Article] = field(default_factory=list)
    scheduled: list[Article] = field(default_factory=list)
    published_today: list[Article] = field(default_factory=list)
    most_read: list[Ranked] = field(default_factory=list)
    # The user's own work: open assignments (派单), and where their pieces of the last
    # seven days went besides the site (the outlets configured here).
    assignments: list[Assignment] = field(default_factory=list)
    distributed: list[tuple[Article, list[OutletState]]] = field(default_factory=list)
    # For those who sign off (chief editors, administrators): what keeps pages from
    # being fresh, the follow-ups that keep failing and the page cache's health.
    failing_tasks: list[tasks.Failing] = field(default_factory=list)
    cache: CacheHealth | None = None


def _rows(articles: QuerySet[Article]) -> list[Article]:
    return list(articles.defer("body").select_related("created_by")[:LIMIT])


def today_start(now: datetime | None = None) -> datetime:
    """Midnight of today, in the site's time zone (Beijing time)."""
    local = timezone.localtime(now or timezone.now())
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def waiting_for(user: User) -> QuerySet[Article]:
    """What is waiting for this user's next step: a writer's returned pieces; an
    editor's submitted ones (not their own); a chief editor's approved ones as well."""
    role = role_of(user)
    if allows(role, Action.PUBLISH):
        statuses = [Status.SUBMITTED, Status.APPROVED]
    elif allows(role, Action.APPROVE):
        statuses = [Status.SUBMITTED]
    else:
        return Article.objects.filter(created_by=user, status=Status.RETURNED).order_by(
            "-updated_at"
        )
    return (
        Article.objects.filter(status__in=statuses)
        .exclude(created_by=user)
        .order_by("updated_at")  # the longest waiting first
    )


def dashboard(user: User) -> Dashboard:
    board = Dashboard(role=role_of(user))
    if board.role is None:
        return board
    own = Q(created_by=user) | Q(pk__in=Assignment.objects.filter(person=user).values("article_id"))
    board.my_drafts = _rows(
        Article.objects.filter(own, status__in=[Status.DRAFT, Status.RETURNED]).order_by(
            "-updated_at"
        )
    )
    board.assignments = list(
        Assignment.objects.filter(person=user, proposal__status=Proposal.Status.APPROVED)
        .select_related("proposal", "article")
        .order_by("deadline")[:LIMIT]
    )
    if distribution.outlets():
        recent = Article.objects.published().filter(
            own, published_at__gte=timezone.now() - timedelta(days=7)
        )
        board.distributed = [(a, distribution.states(a)) for a in _rows(recent)]
    board.waiting = _rows(waiting_for(user))
    scheduled = Article.objects.filter(status=Status.SCHEDULED)
    if not allows(board.role, Action.READ_OTHERS):  # embargo: a reporter's own only
        scheduled = scheduled.filter(created_by=user)
    board.scheduled = _rows(scheduled.order_by("published_at", "pk"))
    board.published_today = _rows(
        Article.objects.published().filter(published_at__gte=today_start())
    )
    board.most_read = rankings.hot("day", limit=10)
    if allows(board.role, Action.PUBLISH):
        board.failing_tasks = tasks.failing(limit=LIMIT)
        board.cache = cache_health()
    return board
