"""Who is asking: the client's address behind a trusted proxy, and the network it
belongs to (what one household or one attacker controls)."""

import logging
from functools import cache
from ipaddress import IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest

log = logging.getLogger("citydesk")


def client_ip(remote: str, forwarded_for: str | None) -> str:
    """The client's address: X-Forwarded-For's last hop only when a proxy the deployment
    trusts sent it (CITYDESK_TRUST_X_FORWARDED_FOR: one on this machine, or in
    CITYDESK_TRUSTED_PROXIES, such as Varnish on its own host). The last hop is the one
    that proxy added; earlier ones are whatever the client wrote."""
    if not forwarded_for:
        return remote
    try:
        sender = ip_address(remote.strip("[]"))
    except ValueError:
        return remote
    proxy = sender.is_loopback or any(sender in net for net in trusted_proxies())
    if proxy and getattr(settings, "CITYDESK_TRUST_X_FORWARDED_FOR", False):
        return forwarded_for.split(",")[-1].strip()
    if proxy:
        _warn_untrusted()
    return remote


def trusted_proxies() -> list[IPv4Network | IPv6Network]:
    return _networks(tuple(getattr(settings, "CITYDESK_TRUSTED_PROXIES", ())))


@cache
def _networks(texts: tuple[str, ...]) -> list[IPv4Network | IPv6Network]:
    return [ip_network(text, strict=False) for text in texts]


@cache
def _warn_untrusted() -> None:
    # Once a process: every reader would count as 127.0.0.1, one network.
    log.warning(
        "a proxy on this machine sends X-Forwarded-For, but CITYDESK_TRUST_X_FORWARDED_FOR"
        " is not set: every reader looks like one address (view counts, login lockouts)"
    )


def forwarded_untrusted(request: HttpRequest) -> bool:
    """Whether the request came through a proxy whose forwarded address is not believed
    (so its REMOTE_ADDR is the proxy's, not the client's)."""
    return "HTTP_X_FORWARDED_FOR" in request.META and not getattr(
        settings, "CITYDESK_TRUST_X_FORWARDED_FOR", False
    )


def request_ip(request: HttpRequest) -> str:
    """`client_ip` of a Django request (django-axes asks through this too)."""
    meta = request.META
    return client_ip(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR"))


def request_network(request: HttpRequest) -> str:
    """The network of a Django request's client (django-axes locks out by it)."""
    return network_of(request_ip(request))


def network_of(address: str) -> str:
    """The network an address stands for: itself for IPv4 (/32), its /64 for IPv6 (one
    subscriber gets a whole /64 and may use any address in it); the text as given when it
    is no address."""
    try:
        parsed = ip_address(address.strip("[]"))
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def site_origins() -> set[str]:
    """The origins the site's pages are served from (SITE_URL and the other trusted
    ones): what a form in a cached page, or a page asking to be signed, comes from."""
    return {settings.SITE_URL, *settings.CSRF_TRUSTED_ORIGINS}
