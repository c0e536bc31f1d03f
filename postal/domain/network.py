"""Who is asking: the client address behind trusted proxies, and network membership (pure)."""

from __future__ import annotations

import functools
import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(text: str | None) -> IpAddress | None:
    """The address in ``text``, or None when it is not one."""
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def client_address(remote: str | None, forwarded_for: list[str], trusted_proxies: list[str]) -> str:
    """The client's address: the direct peer, or — when the peer is a trusted proxy — the
    right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy.

    Addresses left of an untrusted hop are client-written and ignored; an unreadable
    hop stops the walk at the last trusted address seen. Answers are remembered (a few
    thousand recent peers): parsing addresses was a tenth of a public lookup's own work.
    """
    return _client_address(remote, tuple(forwarded_for), tuple(trusted_proxies))


@functools.lru_cache(maxsize=4096)
def _client_address(remote: str | None, forwarded_for: tuple[str, ...], trusted_proxies: tuple[str, ...]) -> str:
    networks: list[IpNetwork] = [ipaddress.ip_network(n, strict=False) for n in trusted_proxies]
    peer = parse_ip(remote)
    if peer is None:
        return remote or "unknown"

    def trusted(ip: IpAddress) -> bool:
        return any(ip.version == n.version and ip in n for n in networks)

    current = peer
    hops = [h for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(current):
            break
        ip = parse_ip(hop)
        if ip is None:
            break
        current = ip
    return str(current)


def in_networks(address: str, networks: list[str]) -> bool:
    """True when ``address`` (an IPv4-mapped IPv6 address counts as its IPv4 one) is in one of ``networks``."""
    ip = parse_ip(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks
               if ipaddress.ip_network(n, strict=False).version == ip.version)
