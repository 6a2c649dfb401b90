"""One webhook attempt has one overall deadline (DNS + connect + send + read), so a receiver that
drips its answer a byte at a time cannot hold a worker; the event is retried later, never lost,
and never sent twice: the claim on it outlasts the deadline."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from documents import webhooks
from documents.models import WebhookDelivery, WebhookEvent

DEADLINE_S = 2.0
MARGIN_S = 1.5


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    settings.API_WEBHOOK_DEADLINE_S = DEADLINE_S
    settings.API_WEBHOOK_TIMEOUT_S = DEADLINE_S  # each read is quick: only the total is slow


class DripReceiver:
    """127.0.0.1 receiver: its first caller gets one byte every 0.5 s (at most 24, then it hangs
    up), later callers a prompt 200. Stops by itself; the fixture also stops it."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.dripped = 0
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        give_up = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < give_up:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                self.connections += 1
                try:
                    self.read_request(conn)
                    if self.connections == 1:
                        self.drip(conn)
                    else:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                except OSError:
                    pass  # the caller hung up: what the deadline is for

    @staticmethod
    def read_request(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(body) < length:
            body += conn.recv(4096)

    def drip(self, conn: socket.socket) -> None:
        answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 100
        for byte in answer[:24]:
            if self.stop.wait(0.5):
                return
            conn.sendall(bytes([byte]))
            self.dripped += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture
def drip():
    receiver = DripReceiver()
    yield receiver
    receiver.close()


def event_to(api_client, url: str) -> WebhookEvent:
    return WebhookEvent.objects.create(
        event_id=uuid.uuid4(),
        type=WebhookEvent.Type.COMPLETED,
        client=api_client.client,
        url=url,
        payload={"type": "document.completed"},
        next_attempt_at=timezone.now(),
    )


def test_slow_drip_receiver_is_cut_off_at_the_deadline_and_retried_later(api_client, drip):
    event = event_to(api_client, drip.url)
    started = time.monotonic()
    assert webhooks.deliver(event.pk) == "retry"
    took = time.monotonic() - started
    assert DEADLINE_S - 0.1 < took < DEADLINE_S + MARGIN_S
    assert 0 < drip.dripped < 24, "cut off mid-answer, not after the receiver gave up"

    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status_code is None and not delivery.success
    assert delivery.error.startswith("Deadline passed: no complete answer within 2 s")
    event.refresh_from_db()
    assert (event.status, event.attempts, event.locked_until) == ("pending", 1, None)
    assert event.next_attempt_at > timezone.now() and event.last_error == delivery.error

    WebhookEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
    assert webhooks.deliver_due() == {"delivered": 1}
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("delivered", 2)
    assert drip.connections == 2


def test_a_sweep_starts_no_attempt_it_could_not_finish_in_its_budget(api_client, drip):
    slow, other = event_to(api_client, drip.url), event_to(api_client, drip.url)
    WebhookEvent.objects.filter(pk=other.pk).update(next_attempt_at=timezone.now())
    started = time.monotonic()
    assert webhooks.deliver_due(budget_s=DEADLINE_S + 0.5) == {"retry": 1}
    assert time.monotonic() - started < DEADLINE_S + MARGIN_S
    slow.refresh_from_db()
    other.refresh_from_db()
    assert (slow.attempts, other.attempts) == (1, 0), "the other event waits for the next sweep"
    assert other.status == "pending" and other.next_attempt_at <= timezone.now()


def test_slow_dns_lookup_counts_against_the_deadline(api_client, monkeypatch, settings):
    settings.API_WEBHOOK_DEADLINE_S = 0.5

    def slow_lookup(*args, **kwargs):
        time.sleep(2)
        raise socket.gaierror(socket.EAI_AGAIN, "slow resolver")

    monkeypatch.setattr(socket, "getaddrinfo", slow_lookup)
    event = event_to(api_client, "https://hooks.example.com/ocr")
    started = time.monotonic()
    assert webhooks.deliver(event.pk) == "retry"
    assert time.monotonic() - started < 0.5 + MARGIN_S
    assert WebhookDelivery.objects.get(event=event).error.startswith("Deadline passed")


@pytest.mark.parametrize("deadline_s", [2.0, 10.0, 120.0])
def test_an_attempt_holds_its_event_longer_than_the_deadline(api_client, settings, deadline_s):
    """While an attempt may still be sending, no other worker can claim the event."""
    settings.API_WEBHOOK_DEADLINE_S = deadline_s
    event = event_to(api_client, "https://hooks.example.com/ocr")
    now = timezone.now()
    claimed = webhooks._claim(event.pk, now)
    assert claimed is not None
    assert claimed.locked_until - now > timedelta(seconds=deadline_s + 10)
    assert webhooks._claim(event.pk, now + timedelta(seconds=deadline_s)) is None


def test_settings_check_accepts_the_defaults_and_reports_bad_values(settings):
    assert webhooks.check_webhook_settings() == []
    settings.API_WEBHOOK_DEADLINE_S = 0
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["10.0.0.0/8", "not a network!"]
    ids = {message.id for message in webhooks.check_webhook_settings()}
    assert ids == {"documents.E101", "documents.W102", "documents.E103"}
    assert webhooks.lease_seconds() > settings.API_WEBHOOK_DEADLINE_S
