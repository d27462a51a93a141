"""Reads of deliveries: each configured outlet's state for an article."""

from dataclasses import dataclass

from citydesk.content.models import Article
from citydesk.distribution.actions import outlets
from citydesk.distribution.models import Distribution


@dataclass(frozen=True)
class OutletState:
    outlet: str
    label: str
    delivery: Distribution | None  # None: never sent there


def states(article: Article) -> list[OutletState]:
    found = {d.outlet: d for d in Distribution.objects.filter(article=article)}
    return [OutletState(o, str(Distribution.Outlet(o).label), found.get(o)) for o in outlets()]
