"""Where a webhook may go (``guarded_post`` sends one POST only there, within one deadline).

No Django here: callers pass the allow-list and the limits (documents.webhooks reads them from
settings), so the checks are plain functions over addresses.

The policy: a callback goes to a public unicast address over http(s), nowhere else. Refused are
loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10), link-local (169.254/16 with
the cloud metadata address, fe80::/10), multicast, unspecified and reserved addresses, also when
they hide inside an IPv6 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, NAT64 ``64:ff9b::``).

An operator lets intranet receivers through with an allow-list (``AllowList.parse``):

- a network (``10.20.0.0/16``, ``fd00:1::/48``, ``127.0.0.1``) allows every address inside it;
- a host name (``hooks.bank.internal``) allows that name's private and loopback addresses, but not
  link-local or reserved ones, so a name whose DNS is tampered with still cannot reach the cloud
  metadata service.

Unspecified and multicast addresses are refused whatever the allow-list says.

A DNS name is checked at every delivery, all of its addresses, and the connection then goes to a
checked address itself (``post``), so an answer that changes between the check and the connect
(DNS rebinding) cannot redirect it. The Host header, TLS SNI and certificate check keep the name.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("http", "https")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
# What an allow-listed host name may resolve to (a listed network lifts any refusal but these).
_NAME_MAY_BE = frozenset({"loopback", "private", "shared (carrier-grade NAT)"})
_NEVER = frozenset({"unspecified", "multicast"})


class Refused(ValueError):
    """The URL or one of its addresses is not a place a webhook may go (message for people)."""


class DeadlinePassed(TimeoutError):
    pass


@dataclass(frozen=True)
class AllowList:
    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, entries: str | Iterable[str]) -> AllowList:
        """Networks (CIDR or single addresses) and host names; ValueError on a malformed entry."""
        if isinstance(entries, str):
            entries = entries.split(",")
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            name = _normal_name(entry)
            if not name or not all(part and _is_label(part) for part in name.split(".")):
                raise ValueError(f"{entry!r} is neither a network (CIDR) nor a host name")
            names.add(name)
        return cls(tuple(networks), frozenset(names))


def _is_label(part: str) -> bool:
    return len(part) <= 63 and all(c.isalnum() or c in "-_" for c in part) and part.isascii()


def _normal_name(host: str) -> str:
    return host.strip().lower().rstrip(".")


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def parse_url(url: str) -> Target:
    """Scheme, host, port and request path of a callback URL; ``Refused`` when unusable."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(f"Not a usable URL: {exc}.") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("Use an http:// or https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise Refused("Put no user name or password in the URL; webhooks are signed instead.")
    host = parts.hostname or ""
    if not host:
        raise Refused("The URL has no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def category(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public unicast address (None: it is one)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return category(ip.ipv4_mapped)
        if ip in _NAT64:
            return category(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    for inner in _embedded_ipv4(ip):
        reason = category(inner)
        if reason:
            return reason
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local):
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private or not ip.is_global:
        return "private"
    return None


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 address a 6to4 address leads to (Teredo's 2001::/32 counts as private anyway)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        return [ip.sixtofour]
    return []


def _without_scope(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    return ip


def check_address(host: str, ip: IPAddress, allowed: AllowList) -> None:
    """``Refused`` unless ``ip`` (one address of ``host``) is public or allowed for it."""
    reason = category(ip)
    if reason is None:
        return
    bare = _without_scope(ip)
    candidates: list[IPAddress] = [bare]
    if isinstance(bare, ipaddress.IPv6Address) and bare.ipv4_mapped is not None:
        candidates.append(bare.ipv4_mapped)
    shown = host if _normal_name(host) == str(ip) else f"{host} ({ip})"
    article = "an" if reason[0] in "aeiou" else "a"
    if reason in _NEVER:
        raise Refused(f"Refused: {shown} is {article} {reason} address; webhooks never go there.")
    if any(c in n for c in candidates for n in allowed.networks if c.version == n.version):
        return
    if reason in _NAME_MAY_BE and _normal_name(host) in allowed.names:
        return
    raise Refused(
        f"Refused: {shown} is {article} {reason} address. Webhooks go only to public addresses; "
        "an intranet receiver must be allowed by the operator (API_WEBHOOK_ALLOWED_NETWORKS)."
    )


def check_addresses(host: str, addresses: Iterable[IPAddress], allowed: AllowList) -> None:
    for ip in addresses:
        check_address(host, ip, allowed)


def literal_addresses(host: str) -> list[IPAddress]:
    """The addresses ``host`` stands for without asking DNS: an IP literal in any form the
    resolver accepts (``127.1``, ``2130706433``, ``0x7f.0.0.1``) or ``localhost``; [] for a name."""
    name = _normal_name(host)
    try:
        return [ipaddress.ip_address(name)]
    except ValueError:
        pass
    if name == "localhost" or name.endswith(".localhost"):
        return [ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")]
    if name and all(c in "0123456789abcdefx." for c in name):
        try:
            return [ipaddress.IPv4Address(socket.inet_aton(name))]
        except OSError:
            pass
    return []
