"""/healthz for load balancers and monitors; /metrics for Prometheus."""

import hmac
from ipaddress import ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from citydesk.core.net import forwarded_untrusted, request_ip
from citydesk.ops import health
from citydesk.ops.metrics import exposition


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The node's health as JSON; 503 when it cannot serve (its database is away)."""
    report = health.check()
    status = 503 if report.status == "down" else 200
    return JsonResponse(report.as_dict(), status=status, json_dumps_params={"ensure_ascii": False})


def _may_scrape(request: HttpRequest) -> bool:
    """From an allowed network (CITYDESK_METRICS_ALLOW), or with the bearer token
    (CITYDESK_METRICS_TOKEN)."""
    token = settings.CITYDESK_METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and given and hmac.compare_digest(given.encode(), token.encode()):
        return True
    if forwarded_untrusted(request):
        return False  # its address is the proxy's: anyone on the internet, perhaps
    try:
        address = ip_address(request_ip(request))
    except ValueError:
        return False
    for network in settings.CITYDESK_METRICS_ALLOW:
        try:
            if address in ip_network(network, strict=False):
                return True
        except ValueError:
            continue  # a typo in the setting allows nothing
    return False


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format; 403 to anyone not allowed to scrape."""
    if not _may_scrape(request):
        return HttpResponse(
            "只允许监控系统访问", status=403, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
