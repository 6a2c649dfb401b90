"""Delivery of webhook events from the outbox: signed POSTs, retried with backoff, replayable.

Signature (also in the README): ``X-OCR-Signature: sha256=<hex>`` where ``<hex>`` is
HMAC-SHA256, keyed with the client's webhook secret, of ``f"{X-OCR-Timestamp}.{raw body}"``.
The body and the event id stay the same on every attempt; the timestamp is fresh each time, so
receivers can refuse old timestamps and deduplicate by ``X-OCR-Event-Id``.

django-q2 delivers at least once, so each attempt first claims the event with a conditional
update; an event already delivered, or being delivered by another worker, is left alone.
"""

from __future__ import annotations

import hmac
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ocr_review.tasking import enqueue_on_commit

from .models import WebhookDelivery, WebhookEvent

log = logging.getLogger(__name__)
E = WebhookEvent.Status
USER_AGENT = "ocr_review-webhooks/1"
_SNIPPET = 500


def body_of(event: WebhookEvent) -> bytes:
    """The exact bytes that are signed and sent (the same on every attempt)."""
    return json.dumps(
        event.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, "sha256")
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (used by the tests; the README shows the same in a few lines)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(attempt: int) -> timedelta:
    """Wait after failed attempt ``attempt`` (1-based): 1 min, 2, 4 … capped."""
    seconds = settings.API_WEBHOOK_BACKOFF_S * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, settings.API_WEBHOOK_BACKOFF_CAP_S))


def enqueue_delivery(event_pk: int, *, manual: bool = False) -> None:
    """Queue one delivery attempt once the current transaction commits."""
    enqueue_on_commit(
        "documents.tasks.run_webhook_delivery",
        event_pk,
        manual,
        group="webhooks",
        name=f"webhook-{event_pk}",
    )


def _claim(event_pk: int, now) -> WebhookEvent | None:
    lease = now + timedelta(seconds=settings.API_WEBHOOK_TIMEOUT_S * 3 + 30)
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = WebhookEvent.objects.filter(free, due, pk=event_pk, status=E.PENDING).update(
        locked_until=lease, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return WebhookEvent.objects.select_related("client").get(pk=event_pk)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery: the signed body is never sent anywhere else."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """(status code, start of the response, error) of one POST."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=settings.API_WEBHOOK_TIMEOUT_S) as response:
            return response.status, response.read(2048).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as exc:
        snippet = exc.read(2048).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, snippet, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"


def deliver(event_pk: int, manual: bool = False) -> str:
    """One attempt at delivering an event; returns what happened, for the task log."""
    now = timezone.now()
    event = _claim(event_pk, now)
    if event is None:
        return "skipped"
    refusal = ""
    client = event.client
    if client is None or not client.active:
        refusal = "Not sent: the API client was revoked or deleted."
    elif not event.url.lower().startswith(("http://", "https://")):
        refusal = "Not sent: the callback URL is not http(s)."
    if refusal:
        delivery = WebhookDelivery(
            event=event, attempt=event.attempts, manual=manual, started_at=now, error=refusal
        )
        return _finish(event, delivery, error=refusal, give_up=True)
    assert client is not None
    body = body_of(event)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-OCR-Event-Id": str(event.event_id),
        "X-OCR-Event-Type": event.type,
        "X-OCR-Timestamp": timestamp,
        "X-OCR-Signature": sign(client.webhook_secret, timestamp, body),
    }
    started = time.perf_counter()
    code, snippet, error = _post(event.url, body, headers)
    delivery = WebhookDelivery(
        event=event,
        attempt=event.attempts,
        manual=manual,
        started_at=now,
        duration_ms=int((time.perf_counter() - started) * 1000),
        status_code=code,
        response_snippet=snippet[:_SNIPPET],
        error=error if not (code and 200 <= code < 300) else "",
        success=bool(code and 200 <= code < 300),
    )
    if not delivery.success and not delivery.error:
        delivery.error = f"HTTP {code}"
    give_up = event.attempts >= settings.API_WEBHOOK_MAX_ATTEMPTS
    return _finish(event, delivery, error=delivery.error, give_up=give_up)


def _finish(event: WebhookEvent, delivery: WebhookDelivery, *, error: str, give_up: bool) -> str:
    now = timezone.now()
    mine = WebhookEvent.objects.filter(pk=event.pk, locked_until=event.locked_until)
    with transaction.atomic():
        delivery.save()
        if delivery.success:
            mine.update(
                status=E.DELIVERED,
                delivered_at=now,
                locked_until=None,
                next_attempt_at=None,
                last_error="",
            )
            return "delivered"
        if give_up:
            mine.update(status=E.FAILED, locked_until=None, next_attempt_at=None, last_error=error)
            log.warning(
                "webhook %s given up after %d attempts: %s", event.event_id, event.attempts, error
            )
            return "failed"
        mine.update(
            locked_until=None, next_attempt_at=now + backoff(event.attempts), last_error=error
        )
    return "retry"


def deliver_due(limit: int = 100) -> dict:
    """Periodic sweeper (schedule_maintenance): every pending event whose retry time has come."""
    now = timezone.now()
    due = (
        WebhookEvent.objects.filter(status=E.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: dict[str, int] = {}
    for pk in list(due):
        outcome = deliver(pk)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def replay(event: WebhookEvent, *, enqueue: bool = True) -> bool:
    """Send an event again (admin action, manage.py replay_webhook): same id, same body.

    Gives it a fresh set of attempts, queued after the commit (or left to the caller to
    ``deliver`` at once); refused (False) while an attempt is in flight.
    """
    now = timezone.now()
    with transaction.atomic():
        replayed = (
            WebhookEvent.objects.filter(pk=event.pk)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .update(status=E.PENDING, attempts=0, next_attempt_at=now, last_error="")
        )
        if replayed and enqueue:
            enqueue_delivery(event.pk, manual=True)
    event.refresh_from_db()
    return bool(replayed)
