"""Who is asking: the client's address behind a trusted proxy, and the network it
belongs to (what one household or one attacker controls)."""

from ipaddress import IPv6Address, ip_address, ip_network

from django.conf import settings
from django.http import HttpRequest


def client_ip(remote: str, forwarded_for: str | None) -> str:
    """The client's address: X-Forwarded-For's last hop only when a proxy on this machine
    sent it and the deployment says it does (CITYDESK_TRUST_X_FORWARDED_FOR). The last hop
    is the one that proxy added; earlier ones are whatever the client wrote."""
    if forwarded_for and getattr(settings, "CITYDESK_TRUST_X_FORWARDED_FOR", False):
        try:
            if ip_address(remote).is_loopback:
                return forwarded_for.split(",")[-1].strip()
        except ValueError:
            pass
    return remote


def request_ip(request: HttpRequest) -> str:
    """`client_ip` of a Django request (django-axes asks through this too)."""
    meta = request.META
    return client_ip(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR"))


def network_of(address: str) -> str:
    """The network an address stands for: itself for IPv4 (/32), its /64 for IPv6 (one
    subscriber gets a whole /64 and may use any address in it); the text as given when it
    is no address."""
    try:
        parsed = ip_address(address.strip("[]"))
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is None:
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed.ipv4_mapped or parsed) if isinstance(parsed, IPv6Address) else str(parsed)
