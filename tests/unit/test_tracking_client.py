"""Which client the rate limit counts, and the phone digits a citizen types."""

from __future__ import annotations

import pytest

from postal.domain.network import client_address
from postal.services.tracking import client_bucket, normalize_phone4

PROXIES = ["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]


def test_direct_peer_when_no_proxy_is_trusted():
    assert client_address("203.0.113.7", ["198.51.100.1"], []) == "203.0.113.7"


def test_forwarded_for_ignored_from_an_untrusted_peer():
    assert client_address("203.0.113.7", ["198.51.100.1"], PROXIES) == "203.0.113.7"


def test_right_most_untrusted_hop_behind_trusted_proxies():
    assert client_address("127.0.0.1", ["6.6.6.6, 198.51.100.9, 10.1.2.3"], PROXIES) == "198.51.100.9"


def test_several_forwarded_for_headers_read_as_one_list():
    assert client_address("10.0.0.1", ["6.6.6.6", "198.51.100.9"], PROXIES) == "198.51.100.9"


def test_unreadable_hop_stops_at_the_last_trusted_address():
    assert client_address("127.0.0.1", ["198.51.100.9, garbage"], PROXIES) == "127.0.0.1"
    assert client_address("127.0.0.1", ["garbage, 10.0.0.9"], PROXIES) == "10.0.0.9"


def test_all_hops_trusted_gives_the_left_most():
    assert client_address("127.0.0.1", ["10.0.0.5, 10.0.0.6"], PROXIES) == "10.0.0.5"


def test_no_header_behind_a_trusted_proxy_is_the_proxy():
    assert client_address("127.0.0.1", [], PROXIES) == "127.0.0.1"


def test_ipv6_peers_and_hops():
    assert client_address("fd00::1", ["2001:db8::5"], PROXIES) == "2001:db8::5"
    assert client_address("2001:db8::1", ["198.51.100.9"], PROXIES) == "2001:db8::1"


def test_unknown_peer():
    assert client_address(None, ["198.51.100.9"], PROXIES) == "unknown"


def test_ipv6_clients_counted_per_64():
    assert client_bucket("2001:db8:1:2:aaaa::1") == client_bucket("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_bucket("2001:db8:1:3::1") != client_bucket("2001:db8:1:2::1")
    assert client_bucket("::ffff:198.51.100.9") == "198.51.100.9"
    assert client_bucket("198.51.100.9") == "198.51.100.9"


@pytest.mark.parametrize(("given", "expected"), [("2147", "2147"), (" 21 47 ", "2147"), ("21-47", "2147"),
                                                 ("", None), (None, None), ("  ", None)])
def test_phone4_normalised(given, expected):
    assert normalize_phone4(given) == expected


@pytest.mark.parametrize("given", ["214", "21478", "abcd", "２１４７", "21a7"])
def test_phone4_must_be_four_ascii_digits(given):
    with pytest.raises(ValueError):
        normalize_phone4(given)
