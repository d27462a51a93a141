from typing import Any

from django.conf import settings
from django.http import HttpRequest

from citydesk.content import queries


def site(request: HttpRequest) -> dict[str, Any]:
    # Lazy: the admin renders through the same engine and never needs the nav.
    return {
        "site_name": settings.SITE_NAME,
        "wechat_id": settings.SITE_WECHAT_ID,
        "nav_channels": queries.nav_channels,
    }
