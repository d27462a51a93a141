"""Reads of deliveries: each configured outlet's state for an article."""

from collections.abc import Callable
from dataclasses import dataclass

from citydesk.content.models import Article
from citydesk.distribution.actions import may_draft, needs_taking_down, outlets
from citydesk.distribution.models import Distribution


@dataclass(frozen=True)
class OutletState:
    outlet: str
    label: str
    delivery: Distribution | None  # None: never sent there
    take_down: bool = False  # retracted on the site, still out there: remind the editor
    may_draft: bool = True  # a new 公众号 draft may be made (none, drafted or failed)
    summary: str = ""  # an outlet another app reports (partners' webhooks): its state


# Outlets other apps run (the API's partners' webhooks), reported by a function of the
# article (None: not configured); those apps sit above this one and register here.
Provider = Callable[[Article], OutletState | None]
_providers: list[Provider] = []


def provide(provider: Provider) -> Provider:
    _providers.append(provider)
    return provider


def states(article: Article) -> list[OutletState]:
    found = {
        d.outlet: d for d in Distribution.objects.filter(article=article).select_related("article")
    }
    return [
        OutletState(
            o,
            str(Distribution.Outlet(o).label),
            found.get(o),
            o in found and needs_taking_down(found[o]),
            o not in found or may_draft(found[o]),
        )
        for o in outlets()
    ] + [state for provider in _providers if (state := provider(article)) is not None]
