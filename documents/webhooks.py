"""Delivery of webhook events from the outbox: signed POSTs, retried with backoff, replayable.

Where a POST may go (public addresses, or the operator's ``API_WEBHOOK_ALLOWED_NETWORKS``) and the
overall deadline of one attempt (``API_WEBHOOK_DEADLINE_S``) are enforced by documents.netguard.

Signature (also in the README): ``X-OCR-Signature: sha256=<hex>`` where ``<hex>`` is
HMAC-SHA256, keyed with the client's webhook secret, of ``f"{X-OCR-Timestamp}.{raw body}"``.
The body and the event id stay the same on every attempt; the timestamp is fresh each time, so
receivers can refuse old timestamps and deduplicate by ``X-OCR-Event-Id``.

django-q2 delivers at least once, so each attempt first claims the event with a conditional
update; an event already delivered, or being delivered by another worker, is left alone.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ocr_review.tasking import enqueue_on_commit

from . import guarded_post, netguard
from .models import WebhookDelivery, WebhookEvent

log = logging.getLogger(__name__)
E = WebhookEvent.Status
USER_AGENT = "ocr_review-webhooks/1"
# Only the start of a receiver's answer is kept: enough to tell "ok" from an error page.
EXCERPT_CHARS = 200
# Claim time beyond the delivery deadline (database writes before and after the POST).
LEASE_MARGIN_S = 30.0


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
        queue="webhooks",
        group="webhooks",
        name=f"webhook-{event_pk}",
    )


def lease_seconds() -> float:
    """How long an attempt holds its event: longer than the attempt can take, so another worker
    never claims (and sends) the event while this one may still be sending it."""
    return float(settings.API_WEBHOOK_DEADLINE_S) + LEASE_MARGIN_S


def allowed_networks() -> netguard.AllowList:
    return netguard.AllowList.parse(settings.API_WEBHOOK_ALLOWED_NETWORKS)


@checks.register()
def check_webhook_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The delivery deadline is positive and shorter than the lease; the allow-list parses."""
    errors: list[checks.CheckMessage] = []
    deadline = float(settings.API_WEBHOOK_DEADLINE_S)
    if not 0 < deadline < lease_seconds():
        errors.append(
            checks.Error(
                f"API_WEBHOOK_DEADLINE_S={deadline:g} must be positive and shorter than the "
                f"delivery lease ({lease_seconds():g} s), or an event could be sent twice.",
                id="documents.E101",
            )
        )
    if float(settings.API_WEBHOOK_TIMEOUT_S) > deadline:
        errors.append(
            checks.Warning(
                f"API_WEBHOOK_TIMEOUT_S={settings.API_WEBHOOK_TIMEOUT_S:g} is longer than "
                f"API_WEBHOOK_DEADLINE_S={deadline:g}: the deadline cuts every call first.",
                id="documents.W102",
            )
        )
    try:
        allowed_networks()
    except ValueError as exc:
        errors.append(checks.Error(f"API_WEBHOOK_ALLOWED_NETWORKS: {exc}", id="documents.E103"))
    return errors


def _claim(event_pk: int, now: datetime) -> WebhookEvent | None:
    lease = now + timedelta(seconds=lease_seconds())
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = WebhookEvent.objects.filter(free, due, pk=event_pk, status=E.PENDING).update(
        locked_until=lease, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return WebhookEvent.objects.select_related("client").get(pk=event_pk)


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
    else:
        try:
            netguard.parse_url(event.url)
        except netguard.Refused as exc:
            refusal = f"Not sent: {exc}"
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
    answer = guarded_post.post(
        event.url,
        body,
        headers,
        allowed=allowed_networks(),
        deadline_s=float(settings.API_WEBHOOK_DEADLINE_S),
        timeout_s=float(settings.API_WEBHOOK_TIMEOUT_S),
        excerpt_chars=EXCERPT_CHARS,
    )
    code = answer.status
    success = code is not None and 200 <= code < 300
    error = "" if success else answer.error or f"HTTP {code} {answer.reason}".rstrip()
    if code is not None and 300 <= code < 400:
        error += " (redirects are not followed)"
    delivery = WebhookDelivery(
        event=event,
        attempt=event.attempts,
        manual=manual,
        started_at=now,
        duration_ms=int((time.perf_counter() - started) * 1000),
        status_code=code,
        response_snippet=answer.excerpt[:EXCERPT_CHARS],
        error=error,
        success=success,
    )
    # A refused address is retried like any failure: the operator may allow it, DNS may change.
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


def deliver_due(limit: int = 100, budget_s: float | None = None) -> dict[str, int]:
    """Periodic sweeper (schedule_maintenance): pending events whose retry time has come.

    Starts no attempt that could run past ``budget_s`` seconds of sweeping (default: the
    deadline plus half the lease margin), so a sweep of slow receivers ends well inside the
    webhook task's timeout; what is left is still due and waits for the next sweep.
    """
    deadline = float(settings.API_WEBHOOK_DEADLINE_S)
    budget = deadline + LEASE_MARGIN_S / 2 if budget_s is None else budget_s
    started = time.monotonic()
    now = timezone.now()
    due = (
        WebhookEvent.objects.filter(status=E.PENDING, next_attempt_at__lte=now)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes: dict[str, int] = {}
    for pk in list(due):
        if outcomes and time.monotonic() - started + deadline > budget:
            break
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
