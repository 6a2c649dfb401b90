"""Webhooks go to public addresses only (or to intranet ones the operator allows), checked when a
callback URL is registered and again, after a DNS lookup, before every connection.

Traffic in these tests only ever goes to servers they start on 127.0.0.1; for every other address
the connection path is replaced by one that fails the test if it is reached.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents import guarded_post, netguard, webhooks
from documents.models import WebhookDelivery, WebhookEvent
from tests.factories import png

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.API_WEBHOOK_ALLOWED_NETWORKS = []
    settings.API_WEBHOOK_DEADLINE_S = 5.0
    settings.API_WEBHOOK_TIMEOUT_S = 5.0


@dataclass
class Connects:
    """Every address a socket tried to connect to; only 127.0.0.1 is let through."""

    tried: list[str] = field(default_factory=list)


@pytest.fixture
def connects(monkeypatch) -> Connects:
    log = Connects()

    def guarded(sock, address):
        log.tried.append(address[0])
        if address[0] != "127.0.0.1":
            raise AssertionError(f"the test tried to connect to {address[0]}")
        return _real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return log


@dataclass
class FakeDNS:
    """Names and their addresses; every lookup is logged."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def __setitem__(self, name: str, addresses: list[str]) -> None:
        self.answers[name] = addresses

    def getaddrinfo(self, host, port, *args, **kwargs):
        self.lookups.append(host)
        if host not in self.answers:  # an IP literal: no DNS involved
            numeric = socket.AI_NUMERICHOST
            return _real_getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=numeric)
        infos = []
        for ip in self.answers[host]:
            if ipaddress.ip_address(ip).version == 6:
                infos.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
            else:
                infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
        return infos


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@dataclass
class Server:
    url: str
    port: int
    requests: list[dict[str, str]] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    reply: bytes = b'{"ok": true}'


def _serve(state: Server, server: ThreadingHTTPServer) -> Iterator[Server]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _handler(state: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(state.status)
            for name, value in state.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.reply)))
            self.end_headers()
            self.wfile.write(state.reply)

        def log_message(self, *args):
            pass

    return Handler


def _local_server() -> Iterator[Server]:
    state = Server(url="", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.port = server.server_address[1]
    state.url = f"http://127.0.0.1:{state.port}/hook"
    yield from _serve(state, server)


@pytest.fixture
def local():
    yield from _local_server()


@pytest.fixture
def elsewhere():
    yield from _local_server()


def event_to(api_client, url: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=uuid.uuid4(),
        type=WebhookEvent.Type.COMPLETED,
        client=api_client.client,
        url=url,
        payload={"type": "document.completed"},
        next_attempt_at=timezone.now(),
    )


def last_delivery(event: WebhookEvent) -> WebhookDelivery:
    return WebhookDelivery.objects.filter(event=event).order_by("id").last()


# -- the address policy --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.10", "private"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("169.254.169.254", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("fe80::1", "link-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("93.184.216.34", None),
        ("8.8.8.8", None),
        ("172.32.0.1", None),
        ("2606:4700:4700::1111", None),
        ("::ffff:93.184.216.34", None),
    ],
)
def test_address_categories(address, reason):
    assert netguard.category(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f.0.0.1", "localhost", "a.localhost"])
def test_other_spellings_of_loopback_are_literals_too(host):
    assert ipaddress.ip_address("127.0.0.1") in netguard.literal_addresses(host)


def test_allow_list_reads_networks_and_host_names():
    allowed = netguard.AllowList.parse(" 10.20.0.0/16, fd00:1::/48 , Hooks.Bank.Internal. ,,")
    assert [str(n) for n in allowed.networks] == ["10.20.0.0/16", "fd00:1::/48"]
    assert allowed.names == {"hooks.bank.internal"}
    with pytest.raises(ValueError, match="neither a network"):
        netguard.AllowList.parse(["10.0.0.0/33x"])


def test_allow_listed_name_does_not_unlock_link_local_or_multicast():
    allowed = netguard.AllowList.parse(["hooks.bank.internal", "0.0.0.0/0"])
    netguard.check_address("hooks.bank.internal", ipaddress.ip_address("10.0.0.7"), allowed)
    named_only = netguard.AllowList.parse(["hooks.bank.internal"])
    with pytest.raises(netguard.Refused, match="link-local"):
        netguard.check_address(
            "hooks.bank.internal", ipaddress.ip_address("169.254.169.254"), named_only
        )
    with pytest.raises(netguard.Refused, match="multicast"):
        netguard.check_address("x", ipaddress.ip_address("224.0.0.1"), allowed)


# -- at registration -----------------------------------------------------------------------------


def submit(api, callback_url: str):
    upload = SimpleUploadedFile("slip.png", png(), content_type="image/png")
    body = {"document_type": "bank_slip", "file": upload, "callback_url": callback_url}
    return api.post("/api/v1/documents/", body, format="multipart")


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:8000/hook", "loopback"),
        ("http://10.0.0.5/hook", "private"),
        ("https://172.16.3.4/hook", "private"),
        ("http://192.168.1.10/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://0.0.0.0:8080/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::]/hook", "unspecified"),
        ("http://[fc00::1]/hook", "private"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://localhost:8000/hook", "loopback"),
    ],
)
def test_callback_url_to_a_non_public_address_is_refused_at_registration(api, url, says):
    response = submit(api, url)
    assert response.status_code == 400
    message = " ".join(response.json()["errors"]["callback_url"])
    assert message.startswith("Refused: ") and f" {says} address" in message


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://hooks.example.com/", "ftp://hooks.example.com/x"]
)
def test_callback_url_with_another_scheme_is_refused_at_registration(api, url):
    response = submit(api, url)
    assert response.status_code == 400
    assert "callback_url" in response.json()["errors"]


def test_callback_url_with_a_public_host_name_is_accepted_without_a_lookup(api, monkeypatch):
    def no_lookup(*args, **kwargs):
        raise AssertionError("registration must not look the name up")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    assert submit(api, "https://hooks.example.com/ocr").status_code == 202


def test_allow_listed_intranet_address_may_be_registered(api, settings):
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert submit(api, "http://10.1.2.3:8443/hook").status_code == 202
    refused = submit(api, "http://192.168.1.10/hook")
    assert refused.status_code == 400
    assert "API_WEBHOOK_ALLOWED_NETWORKS" in refused.json()["errors"]["callback_url"][0]


# -- at delivery ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://10.20.30.40/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:9/hook", "loopback"),
        ("http://[fd00::5]/hook", "private"),
        ("http://[::ffff:10.0.0.1]/hook", "private"),
        ("http://2130706433:9/hook", "loopback"),
    ],
)
def test_delivery_to_a_non_public_literal_is_refused_before_connecting(
    api_client, connects, url, says
):
    """Rows written before the check existed, or edited, are still never sent there."""
    event = event_to(api_client, url)
    assert webhooks.deliver(event.pk) == "retry"
    assert connects.tried == []
    delivery = last_delivery(event)
    assert delivery.status_code is None and says in delivery.error
    assert delivery.error.startswith("Refused")


@pytest.mark.parametrize(
    "addresses",
    [["10.20.30.40"], ["93.184.216.34", "192.168.0.9"], ["2606:4700::1", "fe80::1"], ["::1"]],
)
def test_name_resolving_to_a_non_public_address_is_refused_before_connecting(
    api_client, connects, dns, addresses
):
    """Every address of the name is checked, not only the first."""
    dns["hooks.example.com"] = addresses
    event = event_to(api_client, "https://hooks.example.com/ocr")
    assert webhooks.deliver(event.pk) == "retry"
    assert connects.tried == []
    error = last_delivery(event).error
    assert error.startswith("Refused: hooks.example.com (")
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING and event.last_error == error


def test_connection_goes_to_the_checked_address_with_the_name_as_host(
    api_client, connects, dns, local, settings
):
    """One lookup, then a connection to that very address: a second answer (DNS rebinding)
    is never asked for; the receiver still sees its own name in the Host header."""
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    dns["hooks.bank.test"] = ["127.0.0.1"]
    event = event_to(api_client, f"http://hooks.bank.test:{local.port}/hook")
    assert webhooks.deliver(event.pk) == "delivered"
    assert dns.lookups == ["hooks.bank.test"]
    assert connects.tried == ["127.0.0.1"]
    assert local.requests[0]["host"] == f"hooks.bank.test:{local.port}"


def test_allow_listed_host_name_may_resolve_to_an_intranet_address(
    api_client, connects, dns, local, settings
):
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["hooks.bank.internal"]
    dns["hooks.bank.internal"] = ["127.0.0.1"]
    dns["other.bank.internal"] = ["127.0.0.1"]
    allowed = event_to(api_client, f"http://hooks.bank.internal:{local.port}/hook")
    assert webhooks.deliver(allowed.pk) == "delivered"
    other = event_to(api_client, f"http://other.bank.internal:{local.port}/hook")
    assert webhooks.deliver(other.pk) == "retry"
    assert len(local.requests) == 1


def test_allow_listed_network_lets_a_local_receiver_through(api_client, local, settings):
    event = event_to(api_client, local.url)
    assert webhooks.deliver(event.pk) == "retry", "refused while loopback is not allowed"
    assert local.requests == []
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    assert webhooks.deliver(event.pk) == "delivered"
    assert len(local.requests) == 1


def test_redirect_is_not_followed(api_client, local, elsewhere, settings):
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    local.status = 307
    local.headers = {"Location": elsewhere.url}
    event = event_to(api_client, local.url)
    assert webhooks.deliver(event.pk) == "retry"
    assert len(local.requests) == 1 and elsewhere.requests == []
    delivery = last_delivery(event)
    assert delivery.status_code == 307 and "not followed" in delivery.error


def test_only_a_short_excerpt_of_the_answer_is_kept(api_client, local, settings):
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    local.status = 500
    local.reply = ("客户数据 " * 2000).encode()
    event = event_to(api_client, local.url)
    webhooks.deliver(event.pk)
    delivery = last_delivery(event)
    assert delivery.response_snippet.startswith("客户数据")
    assert len(delivery.response_snippet) <= webhooks.EXCERPT_CHARS == 200


# -- https: the checked address, the host name's certificate -------------------------------------


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS receiver on 127.0.0.1 with a self-signed certificate for hooks.bank.test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=hooks.bank.test", "-addext", "subjectAltName=DNS:hooks.bank.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    state = Server(url="", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.port = server.server_address[1]
    state.url = f"https://hooks.bank.test:{state.port}/hook"
    for served in _serve(state, server):
        yield served, cert, names


def test_https_uses_the_host_name_for_sni_and_the_certificate(connects, dns, tls_server):
    server, cert, sni = tls_server
    dns["hooks.bank.test"] = ["127.0.0.1"]
    dns["other.bank.test"] = ["127.0.0.1"]
    trust = ssl.create_default_context(cafile=str(cert))
    allowed = netguard.AllowList.parse(["127.0.0.1"])
    limits = {"allowed": allowed, "deadline_s": 5.0, "timeout_s": 5.0, "context": trust}
    answer = guarded_post.post(server.url, b"{}", {}, **limits)
    assert (answer.status, answer.error) == (200, "")
    assert sni == ["hooks.bank.test"]
    assert server.requests[0]["host"] == f"hooks.bank.test:{server.port}"

    wrong = guarded_post.post(f"https://other.bank.test:{server.port}/hook", b"{}", {}, **limits)
    assert wrong.status is None and "CERTIFICATE_VERIFY_FAILED" in wrong.error
    assert len(server.requests) == 1
