"""Webhooks against a real HTTP receiver on 127.0.0.1: signed, retried with backoff, replayable."""

from __future__ import annotations

import hashlib
import hmac
import io
import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from documents import transitions, webhooks
from documents.api import tokens
from documents.models import Document, WebhookDelivery, WebhookEvent
from reviews import services
from tests.factories import document_with_fields

pytestmark = pytest.mark.distributed

SECRET = "loan-secret"  # the api_client fixture's webhook secret


@pytest.fixture(autouse=True)
def _deliver_inline(settings):
    """Delivery tasks run in the test process, right after the commit that queued them, to the
    receiver on 127.0.0.1 (a loopback address, refused unless the operator allows it)."""
    settings.OCR_TASKS_SYNC = True
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    settings.API_WEBHOOK_DEADLINE_S = 10.0


@pytest.fixture
def slip(api_client, receiver, demo_types) -> Document:
    doc = document_with_fields(
        demo_types["bank_slip"],
        {"payer_name": ("张伟", 0.62, ["low_confidence"]), "amount": ("8,650.00", 0.99, [])},
    )
    Document.objects.filter(pk=doc.pk).update(
        api_client=api_client.client, callback_url=receiver.url, external_id="loan-7"
    )
    doc.refresh_from_db()
    return doc


@pytest.fixture
def complete(clerk, django_capture_on_commit_callbacks):
    """A clerk confirms the last open field, which completes the document."""

    def run() -> WebhookEvent:
        field = services.claim_next(clerk)
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(field.pk, clerk, field.value, version=field.version)
        return WebhookEvent.objects.get()

    return run


def expected_signature(timestamp: str, body: bytes) -> str:
    mac = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def make_due(event: WebhookEvent) -> None:
    """What time does: the retry's moment arrives."""
    WebhookEvent.objects.filter(pk=event.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_completed_document_posts_a_signed_event_to_its_callback(slip, receiver, complete):
    event = complete()
    assert len(receiver.received) == 1
    sent = receiver.received[0]
    assert sent.headers["x-ocr-event-id"] == str(event.event_id)
    assert sent.headers["x-ocr-event-type"] == "document.completed"
    assert sent.headers["content-type"].startswith("application/json")
    timestamp = sent.headers["x-ocr-timestamp"]
    assert abs(int(timestamp) - timezone.now().timestamp()) < 60
    assert sent.headers["x-ocr-signature"] == expected_signature(timestamp, sent.body)
    payload = sent.json
    assert payload["event_id"] == str(event.event_id)
    assert payload["type"] == "document.completed"
    document = payload["document"]
    assert (document["id"], document["status"], document["external_id"]) == (
        slip.pk,
        "completed",
        "loan-7",
    )
    assert {f["key"]: f["status"] for f in document["fields"]} == {
        "payer_name": "confirmed",
        "amount": "auto_accepted",
    }
    assert document["status_url"].endswith(f"/api/v1/documents/{slip.pk}/")
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED and event.delivered_at
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.attempt, delivery.status_code, delivery.success) == (1, 200, True)


def test_signature_does_not_verify_with_another_secret_or_body(slip, receiver, complete):
    complete()
    sent = receiver.received[0]
    timestamp, signature = sent.headers["x-ocr-timestamp"], sent.headers["x-ocr-signature"]
    assert webhooks.verify(SECRET, timestamp, sent.body, signature)
    assert not webhooks.verify("ticket-secret", timestamp, sent.body, signature)
    assert not webhooks.verify(SECRET, timestamp, sent.body + b" ", signature)
    assert not webhooks.verify(SECRET, str(int(timestamp) + 1), sent.body, signature)


def test_failed_delivery_is_logged_retried_with_backoff_then_delivered(slip, receiver, complete):
    receiver.answers = [500]
    before = timezone.now()
    event = complete()
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING and event.attempts == 1
    wait = event.next_attempt_at - before
    assert timedelta(seconds=55) < wait < timedelta(seconds=70), "first retry after a minute"
    failed = WebhookDelivery.objects.get(event=event)
    assert (failed.status_code, failed.success) == (500, False)
    assert failed.error.startswith("HTTP 500") and failed.response_snippet == "receiver is down"
    assert event.last_error == failed.error

    assert webhooks.deliver_due() == {}, "nothing is due before its time"
    assert len(receiver.received) == 1

    make_due(event)
    assert webhooks.deliver_due() == {"delivered": 1}
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.DELIVERED and event.attempts == 2
    first, second = receiver.received
    assert (
        first.headers["x-ocr-event-id"] == second.headers["x-ocr-event-id"] == str(event.event_id)
    )
    assert first.body == second.body, "a retry sends the very same event"
    for sent in (first, second):
        assert sent.headers["x-ocr-signature"] == expected_signature(
            sent.headers["x-ocr-timestamp"], sent.body
        )
    log = list(event.deliveries.values_list("attempt", "status_code", "success"))
    assert log == [(1, 500, False), (2, 200, True)]


@pytest.mark.parametrize(
    ("attempt", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (9, 256), (10, 512), (11, 720), (15, 720)],
)
def test_backoff_doubles_from_a_minute_up_to_a_cap(attempt, minutes, settings):
    settings.API_WEBHOOK_BACKOFF_S = 60
    settings.API_WEBHOOK_BACKOFF_CAP_S = 12 * 3600
    assert webhooks.backoff(attempt) == timedelta(minutes=minutes)


def test_default_retries_span_about_seventeen_hours(settings):
    waits = [webhooks.backoff(n) for n in range(1, settings.API_WEBHOOK_MAX_ATTEMPTS)]
    assert timedelta(hours=16) < sum(waits, timedelta()) < timedelta(hours=18)


def test_delivery_gives_up_after_the_last_attempt(slip, receiver, complete, settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.answers = [500, 503]
    event = complete()
    make_due(event)
    assert webhooks.deliver_due() == {"failed": 1}
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED and event.next_attempt_at is None
    assert webhooks.deliver_due() == {}
    assert len(receiver.received) == 2


def test_replay_resends_the_same_event_id_and_body(slip, receiver, complete):
    event = complete()
    out = io.StringIO()
    call_command("replay_webhook", str(event.event_id), stdout=out)
    assert "delivered" in out.getvalue()
    first, again = receiver.received
    assert again.headers["x-ocr-event-id"] == first.headers["x-ocr-event-id"]
    assert again.body == first.body
    replayed = WebhookDelivery.objects.filter(event=event).order_by("id").last()
    assert replayed.manual and replayed.success


def test_replay_of_an_unknown_event_is_an_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("replay_webhook", "5b1f3f0e-0000-0000-0000-000000000000")


def test_replay_gives_a_failed_event_new_attempts(slip, receiver, complete, settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answers = [500]
    event = complete()
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED
    assert webhooks.replay(event, enqueue=False)
    assert webhooks.deliver(event.pk, manual=True) == "delivered"


def test_delivering_a_delivered_event_again_is_a_no_op(slip, receiver, complete):
    event = complete()
    assert webhooks.deliver(event.pk) == "skipped"
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.filter(event=event).count() == 1


def test_unreachable_receiver_is_logged_and_retried(slip, complete):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    Document.objects.filter(pk=slip.pk).update(callback_url=f"http://127.0.0.1:{port}/hook")
    event = complete()
    event.refresh_from_db()
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status_code is None and "refused" in delivery.error.lower()
    assert event.status == WebhookEvent.Status.PENDING and event.next_attempt_at > timezone.now()


def test_redirect_is_a_failed_delivery_not_followed(slip, receiver, complete):
    receiver.answers = [302]
    event = complete()
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.PENDING
    assert WebhookDelivery.objects.get(event=event).status_code == 302
    assert len(receiver.received) == 1


def test_revoked_client_gets_no_more_webhooks(slip, receiver, complete, api_client):
    receiver.answers = [500]
    event = complete()
    tokens.revoke(api_client.client)
    make_due(event)
    assert webhooks.deliver_due() == {"failed": 1}
    assert len(receiver.received) == 1
    assert "revoked" in WebhookDelivery.objects.filter(event=event).last().error


def test_failed_document_posts_document_failed(slip, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transitions.fail(slip.pk, "The PDF is encrypted.")
    event = WebhookEvent.objects.get()
    assert event.type == "document.failed"
    payload = receiver.received[0].json
    assert payload["type"] == "document.failed"
    assert (payload["document"]["status"], payload["document"]["error"]) == (
        "failed",
        "The PDF is encrypted.",
    )


def test_failing_an_already_failed_document_sends_nothing_new(
    slip, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        transitions.fail(slip.pk, "broken")
        transitions.fail(slip.pk, "still broken")
    assert WebhookEvent.objects.count() == 1


def test_recognition_finishing_with_all_fields_accepted_posts_completed(
    api_client, receiver, demo_types, django_capture_on_commit_callbacks
):
    doc = document_with_fields(
        demo_types["bank_slip"],
        {"amount": ("8,650.00", 0.99, [])},
        status=Document.Status.PROCESSING,
    )
    Document.objects.filter(pk=doc.pk).update(
        api_client=api_client.client, callback_url=receiver.url
    )
    doc.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        transitions.finish_processing(doc, seconds=1.0)
    assert receiver.received[0].json["type"] == "document.completed"


def test_last_failed_attempt_posts_failed_and_a_retry_posts_nothing(
    api_client, receiver, demo_types, settings, django_capture_on_commit_callbacks
):
    doc = document_with_fields(
        demo_types["bank_slip"], {"amount": ("1", 0.99, [])}, status=Document.Status.PROCESSING
    )
    Document.objects.filter(pk=doc.pk).update(
        api_client=api_client.client, callback_url=receiver.url, attempts=1
    )
    settings.OCR_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        assert transitions.fail_or_retry(doc.pk, "OSError: disk").status == "queued"
    assert not WebhookEvent.objects.exists()
    Document.objects.filter(pk=doc.pk).update(status=Document.Status.PROCESSING, attempts=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert transitions.fail_or_retry(doc.pk, "OSError: disk").status == "failed"
    assert [r.json["type"] for r in receiver.received] == ["document.failed"]


def test_document_without_a_callback_url_sends_nothing(
    slip, receiver, clerk, django_capture_on_commit_callbacks
):
    Document.objects.filter(pk=slip.pk).update(callback_url="")
    field = services.claim_next(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decide(field.pk, clerk, field.value, version=field.version)
    assert decision.document_completed
    assert not WebhookEvent.objects.exists() and receiver.received == []


def test_rolled_back_status_change_leaves_no_event_and_sends_nothing(
    slip, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            transitions.fail(slip.pk, "broken")
            raise RuntimeError("the caller's transaction fails after the transition")
    assert not WebhookEvent.objects.exists()
    assert receiver.received == []


def test_schedule_maintenance_registers_the_retry_sweeper(db):
    call_command("schedule_maintenance", stdout=io.StringIO())
    sweeper = Schedule.objects.get(name="webhooks-deliver-due")
    assert (sweeper.func, sweeper.schedule_type, sweeper.minutes) == (
        "documents.tasks.run_due_webhooks",
        Schedule.MINUTES,
        1,
    )
