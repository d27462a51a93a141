"""/healthz for load balancers and monitors."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from citydesk.ops import health


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The node's health as JSON; 503 when it cannot serve (its database is away)."""
    report = health.check()
    status = 503 if report.status == "down" else 200
    return JsonResponse(report.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})
