"""The demo's newsroom desk: a rate table, so 稿费 shows amounts for the demo's bylines,
and two 选题 of the editor's (one waiting for a decision, one approved and assigned to
the editor), so the plan page is not empty on `make run`. Made once; a second run adds
nothing."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from citydesk.content.models import Channel
from citydesk.newsroom import planning
from citydesk.newsroom.models import Assignment, Proposal
from citydesk.pay import actions as pay
from citydesk.pay.models import RateTable

WAITING = "古城区老旧小区加装电梯进展调查"
APPROVED = "环古城河健身步道夜间照明改造"


def _tomorrow_at(hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def ensure_desk(editor: User) -> None:
    if not RateTable.objects.exists():
        pay.set_rates(
            editor,
            date(2020, 1, 1),
            per_piece=80,
            per_thousand_chars=60,
            per_photo=30,
            per_video=200,
        )
    if Proposal.objects.filter(title__in=[WAITING, APPROVED]).exists():
        return
    city = Channel.objects.get(slug="chengshi")
    planning.propose(
        editor,
        title=WAITING,
        channel=city,
        expected_at=_tomorrow_at(17),
        media=[Proposal.Media.TEXT, Proposal.Media.PHOTO],
        angle="走访三个已加装和两个卡在协商的小区，算清楚每户分摊。",
        sources="街道办、住建局、居民代表",
    )
    approved = planning.propose(
        editor,
        title=APPROVED,
        channel=city,
        expected_at=_tomorrow_at(20),
        media=[Proposal.Media.TEXT],
        angle="夜跑人群的安全感：照明改造前后各走一遍。",
    )
    planning.decide(editor, approved, "approve")
    planning.assign(editor, approved, editor, Assignment.Role.WRITER, _tomorrow_at(18))
