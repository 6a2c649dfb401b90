"""Where a webhook may go, and one POST that goes only there, within one overall deadline.

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

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Address:
    family: int
    sockaddr: tuple[Any, ...]
    ip: IPAddress


def resolve(host: str, port: int, timeout: float) -> list[Address]:
    """Every TCP address of ``host`` (getaddrinfo), waiting at most ``timeout`` seconds."""
    box: dict[str, Any] = {}

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:
            box["error"] = exc

    # getaddrinfo cannot be interrupted; a lookup that hangs is left to finish on its own.
    worker = threading.Thread(target=lookup, name="webhook-dns", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.0))
    if worker.is_alive():
        raise DeadlinePassed(f"looking up {host} took longer than the deadline")
    if "error" in box:
        raise box["error"]
    found: list[Address] = []
    for family, _type, _proto, _canon, sockaddr in box["infos"]:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        found.append(Address(family, tuple(sockaddr), ipaddress.ip_address(sockaddr[0])))
    if not found:
        raise OSError(f"{host} has no IPv4 or IPv6 address")
    return found


class Deadline:
    """One overall limit for resolve + connect + TLS + send + read.

    Socket timeouts limit each read, so a receiver dripping a byte a second would never trip them;
    a timer shuts the connection down when the deadline passes instead, which wakes a read or
    write blocked in another thread. It holds a duplicate of each socket's descriptor, because
    TLS wrapping detaches the original socket object.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.passed = False
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.at - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(f"no answer within {self.seconds:g} s")
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.passed:
                raise DeadlinePassed(f"no answer within {self.seconds:g} s")
            self._watched.append(sock.dup())

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            for sock in self._watched:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # not connected yet, or already closed

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()


@dataclass
class _Pin:
    addresses: Sequence[Address]
    timeout: float
    deadline: Deadline

    def open(self) -> socket.socket:
        """A TCP connection to the first checked address that answers (never resolves again)."""
        error: OSError = OSError("no address to connect to")
        for address in self.addresses:
            sock = socket.socket(address.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            try:
                self.deadline.watch(sock)
                sock.settimeout(min(self.timeout, self.deadline.remaining()))
                sock.connect(address.sockaddr)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
                if isinstance(exc, DeadlinePassed):
                    break
        raise error


class PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to ``host`` (Host header) over a connection to an address checked beforehand."""

    def __init__(self, host: str, port: int, *, pin: _Pin) -> None:
        super().__init__(host, port, timeout=pin.timeout)
        self._pin = pin

    def connect(self) -> None:
        self.sock = self._pin.open()


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; SNI and the certificate check use the host name."""

    def __init__(self, host: str, port: int, *, pin: _Pin, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=pin.timeout, context=context)
        self._pin = pin
        self._tls = context

    def connect(self) -> None:
        self.sock = self._tls.wrap_socket(self._pin.open(), server_hostname=self.host)


@dataclass
class Answer:
    """What one POST came to: the receiver's status and the start of its body, or an error."""

    status: int | None = None
    reason: str = ""
    excerpt: str = ""
    error: str = ""
    refused: bool = False


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allowed: AllowList,
    deadline_s: float,
    timeout_s: float,
    excerpt_chars: int = 200,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """POST ``body`` to ``url`` if every address of its host may be reached; never redirects.

    ``deadline_s`` bounds the whole call (DNS, connect, TLS, send, read), ``timeout_s`` each
    socket operation. Only ``excerpt_chars`` characters of the answer are read and kept.
    """
    try:
        target = parse_url(url)
    except Refused as exc:
        return Answer(error=str(exc), refused=True)
    deadline = Deadline(deadline_s)
    connection: http.client.HTTPConnection | None = None
    try:
        addresses = literal_addresses(target.host)
        if addresses:
            pinned = [_literal_address(ip, target.port) for ip in addresses]
        else:
            pinned = resolve(target.host, target.port, deadline.remaining())
        check_addresses(target.host, (a.ip for a in pinned), allowed)
        pin = _Pin(pinned, timeout_s, deadline)
        if target.tls:
            connection = PinnedHTTPSConnection(
                target.host, target.port, pin=pin, context=context or ssl.create_default_context()
            )
        else:
            connection = PinnedHTTPConnection(target.host, target.port, pin=pin)
        sent = {**headers, "Connection": "close"}
        connection.request("POST", target.path, body=body, headers=sent)
        response = connection.getresponse()
        # One read of what has arrived, enough for the excerpt: the rest is never wanted.
        raw = response.read1(excerpt_chars * 4) if excerpt_chars > 0 else b""
        excerpt = raw.decode("utf-8", "replace")[:excerpt_chars]
        return Answer(status=response.status, reason=response.reason, excerpt=excerpt)
    except Refused as exc:
        return Answer(error=str(exc), refused=True)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        if deadline.passed or isinstance(exc, DeadlinePassed):
            return Answer(
                error=f"Deadline passed: no complete answer within {deadline_s:g} s "
                "(DNS, connect, send and read together); the connection was closed."
            )
        return Answer(error=f"{type(exc).__name__}: {exc}")
    finally:
        deadline.close()
        if connection is not None:
            connection.close()


def _literal_address(ip: IPAddress, port: int) -> Address:
    if isinstance(ip, ipaddress.IPv6Address):
        return Address(socket.AF_INET6, (str(ip), port, 0, 0), ip)
    return Address(socket.AF_INET, (str(ip), port), ip)
