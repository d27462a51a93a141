"""Who calls the API, and how often they may.

No Authorization header: an anonymous caller. `Authorization: Bearer <key>`: the token
of that key, or 401 when it is unknown, revoked or expired (never silently anonymous:
a partner whose token lapsed must hear so).
"""

import threading
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from citydesk.api.models import ApiToken, Scope
from citydesk.core import limits
from citydesk.core.net import request_network

ANONYMOUS_PER_MINUTE = 120
# A token's last use is written at most this often (a write per request would cost more
# than the request).
LAST_USED_EVERY = 60


@dataclass(frozen=True)
class Identity:
    token: ApiToken | None = None

    @property
    def user(self) -> User | None:
        """The newsroom member a token reads as; None for anonymous callers and partners."""
        return self.token.user if self.token is not None else None

    def allows(self, scope: str) -> bool:
        return self.token is not None and self.token.allows(scope)


class Caller(HttpBearer):
    def __call__(self, request: HttpRequest) -> Identity | None:
        if "Authorization" not in request.headers:
            return Identity()
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> Identity | None:
        found = ApiToken.find(token)
        if found is None:
            return None
        if request.method in ("GET", "HEAD") and not found.allows(Scope.READ):
            raise HttpError(403, "this token has no read scope")
        now = timezone.now()
        if (
            found.last_used_at is None
            or (now - found.last_used_at).total_seconds() > LAST_USED_EVERY
        ):
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return Identity(found)


def caller_of(request: HttpRequest) -> Identity:
    identity = getattr(request, "auth", None)
    return identity if isinstance(identity, Identity) else Identity()


class TokenThrottle(BaseThrottle):
    """Requests a minute per token (its own limit) or, for anonymous callers, per
    network (an IPv4 address or an IPv6 /64): a fixed one-minute window counted in
    Django's cache, shared by the processes that share the cache. Over the limit,
    django-ninja answers 429 with Retry-After (`wait`)."""

    def __init__(self) -> None:
        # One instance serves every request: the wait of the request being refused
        # is kept per thread.
        self._refused = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        identity = caller_of(request)
        if identity.token is not None:
            key, limit = f"api:t{identity.token.pk}", identity.token.per_minute
        else:
            key, limit = f"api:n{request_network(request)}", ANONYMOUS_PER_MINUTE
        count, self._refused.wait = limits.counted(key, 60)
        return count <= limit

    def wait(self) -> float | None:
        return max(1.0, float(getattr(self._refused, "wait", 60.0)))
