"""One webhook POST to a checked address only, within one overall deadline.

The name is resolved, every address checked against ``netguard``'s policy, and the connection made
to a checked address itself, so an answer that changes between the check and the connect (DNS
rebinding) cannot redirect it; the Host header, TLS SNI and certificate check keep the name. No
redirect is followed and only a short excerpt of the answer is read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .netguard import (
    AllowList,
    DeadlinePassed,
    IPAddress,
    Refused,
    check_addresses,
    literal_addresses,
    parse_url,
)


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
