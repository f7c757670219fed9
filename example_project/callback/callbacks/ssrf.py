"""Which callback URLs may be called, and at which address.

Two checks. At insert, the URL's literal form: the scheme, credentials, and a
host that is an IP literal in a forbidden range are refused with 400, before
anything is stored. At send time the host name is resolved once, every address
it resolves to is checked, and the connection goes to the checked address (the
transport never resolves again), so a DNS answer that changes between the check
and the connect (rebinding) cannot reach an internal address.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class RefusedURL(ValueError):
    """The URL may not be called; the message says why (safe to show the client)."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written: the Host header and the TLS server name
    port: int
    address: str  # the checked IP the connection goes to
    path: str  # path and query, as sent


#: Ranges refused whatever this Python's ``ipaddress`` tables say (they differ by
#: version): site-local, documentation, benchmarking, IETF protocol assignments,
#: shared address space (carrier NAT), and the IPv4-in-IPv6 translation prefixes.
DENIED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
        "fec0::/10", "2001:db8::/32", "3fff::/20", "2001::/23", "100::/64", "64:ff9b:1::/48",
    )
)  # fmt: skip


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.CALLBACK["ALLOWED_NETWORKS"]]


def forbidden_reason(ip):
    """Why ``ip`` may not be called, or ``None`` if it is a public unicast address."""
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            reason = forbidden_reason(embedded)
            return f"{reason} (inside {address})" if reason else None
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 carries an IPv4 address
            reason = forbidden_reason(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
            return f"{reason} (inside {address})" if reason else None
    names = ["loopback", "link_local", "multicast", "private", "reserved", "unspecified"]
    if isinstance(address, ipaddress.IPv6Address):
        names.append("site_local")
    for name in names:
        if getattr(address, f"is_{name}"):
            return f"{address} is a {name.replace('_', '-')} address"
    if any(address in network for network in DENIED_NETWORKS if network.version == address.version):
        return f"{address} is in a special-purpose range"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _check_address(ip, allowed):
    if any(ipaddress.ip_address(ip) in network for network in allowed):
        return
    reason = forbidden_reason(ip)
    if reason:
        raise RefusedURL(f"{reason}; callbacks go to public addresses only")


def _parts(url):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise RefusedURL(f"the URL cannot be parsed: {exc}") from None
    allowed_schemes = {"https", "http"} if settings.CALLBACK["ALLOW_HTTP"] else {"https"}
    if parts.scheme not in allowed_schemes:
        raise RefusedURL(f"the scheme must be {' or '.join(sorted(allowed_schemes))}")
    if parts.username is not None or parts.password is not None:
        raise RefusedURL("credentials in the URL are not allowed")
    if not parts.hostname:
        raise RefusedURL("the URL has no host")
    return parts, port or (443 if parts.scheme == "https" else 80)


def _literal_ip(host):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_literal(url):
    """The insert-time check: refuse what the URL's own text already rules out."""
    parts, _port = _parts(url)
    ip = _literal_ip(parts.hostname)
    if ip is not None:
        _check_address(ip, _allowed_networks())


def resolve(host, port):
    """Every address ``host`` resolves to (one DNS lookup)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OSError(f"cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def destination(url):
    """The checked address to connect to for ``url``; ``RefusedURL`` if there is none.

    A name that resolves to several addresses is refused if any of them is
    forbidden: an attacker who controls the name chooses which one we would use.
    """
    parts, port = _parts(url)
    host = parts.hostname
    allowed = _allowed_networks()
    ip = _literal_ip(host)
    addresses = [str(ip)] if ip is not None else resolve(host, port)
    if not addresses:
        raise OSError(f"{host!r} resolved to no address")
    for address in addresses:
        _check_address(address, allowed)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Destination(parts.scheme, host, port, addresses[0], path)
