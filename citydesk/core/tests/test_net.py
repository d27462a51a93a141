"""Who is asking: the client behind a trusted proxy, and the network it stands for."""

import pytest

from citydesk.core.net import client_ip, network_of


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:abcd::1", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::9]", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),  # IPv4 seen through an IPv6 socket
        ("not an address", "not an address"),
        ("", ""),
    ],
)
def test_network_of(address, network):
    assert network_of(address) == network


def test_the_forwarded_address_is_trusted_only_from_a_local_proxy(settings):
    settings.CITYDESK_TRUST_X_FORWARDED_FOR = True
    assert client_ip("127.0.0.1", "1.2.3.4, 198.51.100.9") == "198.51.100.9"  # nginx's hop
    assert client_ip("203.0.113.1", "198.51.100.9") == "203.0.113.1"  # not from the proxy
    settings.CITYDESK_TRUST_X_FORWARDED_FOR = False
    assert client_ip("127.0.0.1", "198.51.100.9") == "127.0.0.1"


def test_an_untrusted_forwarding_proxy_is_warned_about_once(settings, caplog):
    from citydesk.core import net

    net._warn_untrusted.cache_clear()
    settings.CITYDESK_TRUST_X_FORWARDED_FOR = False
    for _ in range(3):
        assert client_ip("127.0.0.1", "198.51.100.9") == "127.0.0.1"
    warnings = [r for r in caplog.records if "CITYDESK_TRUST_X_FORWARDED_FOR" in r.getMessage()]
    assert len(warnings) == 1


def test_a_proxy_on_another_host_is_trusted_when_named(settings):
    settings.CITYDESK_TRUST_X_FORWARDED_FOR = True
    settings.CITYDESK_TRUSTED_PROXIES = ["10.0.0.0/24"]
    assert client_ip("10.0.0.5", "1.2.3.4, 198.51.100.9") == "198.51.100.9"  # Varnish's hop
    assert client_ip("10.0.1.5", "198.51.100.9") == "10.0.1.5"  # not a proxy it named
    settings.CITYDESK_TRUST_X_FORWARDED_FOR = False
    assert client_ip("10.0.0.5", "198.51.100.9") == "10.0.0.5"
