"""Retention: `manage.py purge` keeps everything by default, removes closed documents (with their
files), old events and finished webhook rows past their days, never an open document; an admin's
deletion removes the files too and is recorded where it survives the document."""

from __future__ import annotations

import io
import logging
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.sites import site
from django.core.management import call_command
from django.utils import timezone

from documents import events
from documents.models import Document, Event, Field, Page, WebhookEvent
from tests.factories import document_with_fields

S = Document.Status


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file()}


def stored_files(doc: Document) -> set[str]:
    return {doc.file.name, *(p.image.name for p in doc.pages.all())}


def aged(doc: Document, days: int) -> Document:
    """The document and its events as if last changed ``days`` ago."""
    then = timezone.now() - timedelta(days=days)
    Document.objects.filter(pk=doc.pk).update(updated_at=then)
    Event.objects.filter(document=doc).update(created_at=then)
    return doc


def bill(demo_types, status: str = S.COMPLETED, days: int = 0) -> Document:
    doc = document_with_fields(
        demo_types["bank_slip"], {"amount": ("12.00", 0.99, [])}, status=status
    )
    events.document_received(doc)
    return aged(doc, days)


def webhook(status: str, days: int, doc: Document | None = None) -> WebhookEvent:
    row = WebhookEvent.objects.create(
        event_id=uuid.uuid4(),
        type=WebhookEvent.Type.COMPLETED,
        document=doc,
        url="https://hooks.test/x",
        payload={},
        status=status,
    )
    then = timezone.now() - timedelta(days=days)
    WebhookEvent.objects.filter(pk=row.pk).update(created_at=then)
    return row


def purge(*args: str) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def test_by_default_everything_is_kept(demo_types, media_root, django_capture_on_commit_callbacks):
    doc = bill(demo_types, days=3000)
    hook = webhook(WebhookEvent.Status.DELIVERED, 3000, doc)
    with django_capture_on_commit_callbacks(execute=True):
        out = purge()
    assert "kept forever" in out
    assert Document.objects.filter(pk=doc.pk).exists() and doc.events.exists()
    assert WebhookEvent.objects.filter(pk=hook.pk).exists()
    assert stored_files(doc) <= files_under(media_root)


def test_closed_documents_past_their_days_go_with_their_files_and_open_ones_stay(
    demo_types, settings, media_root, caplog, django_capture_on_commit_callbacks
):
    settings.OCR_RETAIN_DOCUMENTS_DAYS = 30
    old_done = bill(demo_types, S.COMPLETED, days=40)
    old_failed = bill(demo_types, S.FAILED, days=40)
    recent = bill(demo_types, S.COMPLETED, days=10)
    still_open = [
        bill(demo_types, status, days=400) for status in S if status not in ("completed", "failed")
    ]
    gone_files = stored_files(old_done) | stored_files(old_failed)
    gone = [old_done.pk, old_failed.pk]
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        out = purge()
    assert "2 document(s)" in out
    remaining = set(Document.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, *(d.pk for d in still_open)}
    assert not Page.objects.filter(document_id__in=gone).exists()
    assert not Field.objects.filter(document_id__in=gone).exists()
    assert not Event.objects.filter(document_id__in=gone).exists()
    assert not gone_files & files_under(media_root)
    assert stored_files(recent) <= files_under(media_root)
    logged = [r for r in caplog.records if r.levelno == logging.WARNING and "deleted" in r.message]
    assert {old_done.sha256, old_failed.sha256} <= {
        word for r in logged for word in r.getMessage().replace(",", " ").split()
    }


def test_a_dry_run_says_what_would_go_and_deletes_nothing(
    demo_types, settings, media_root, django_capture_on_commit_callbacks
):
    settings.OCR_RETAIN_DOCUMENTS_DAYS = 30
    settings.OCR_RETAIN_WEBHOOKS_DAYS = 30
    old = bill(demo_types, days=40)
    webhook(WebhookEvent.Status.DELIVERED, 40)
    before = files_under(media_root)
    with django_capture_on_commit_callbacks(execute=True):
        out = purge("--dry-run", "-v", "2")
    assert "would" in out and "1 document(s)" in out and f"#{old.pk}" in out
    assert "1 webhook event(s)" in out
    assert Document.objects.count() == 1 and WebhookEvent.objects.count() == 1
    assert files_under(media_root) == before


def test_old_events_of_closed_documents_and_finished_webhooks_go(
    demo_types, settings, django_capture_on_commit_callbacks
):
    settings.OCR_RETAIN_EVENTS_DAYS = 90
    settings.OCR_RETAIN_WEBHOOKS_DAYS = 90
    closed = bill(demo_types, S.COMPLETED, days=100)
    waiting = bill(demo_types, S.NEEDS_REVIEW, days=100)
    delivered = webhook(WebhookEvent.Status.DELIVERED, 100, closed)
    gave_up = webhook(WebhookEvent.Status.FAILED, 100, closed)
    pending = webhook(WebhookEvent.Status.PENDING, 100, closed)
    fresh = webhook(WebhookEvent.Status.DELIVERED, 5, closed)
    with django_capture_on_commit_callbacks(execute=True):
        purge()
    assert Document.objects.filter(pk=closed.pk).exists()  # documents are kept forever here
    assert not closed.events.exists()
    assert waiting.events.exists()
    left = set(WebhookEvent.objects.values_list("pk", flat=True))
    assert left == {pending.pk, fresh.pk} and not {delivered.pk, gave_up.pk} & left


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_an_admin_deletes_a_document_with_its_files_and_the_deletion_is_recorded(
    admin_client, admin_user, demo_types, media_root, caplog, django_capture_on_commit_callbacks
):
    doc = bill(demo_types, S.COMPLETED)
    files = stored_files(doc)
    assert files <= files_under(media_root)
    url = f"/admin/documents/document/{doc.pk}/delete/"
    assert admin_client.get(url).status_code == 200
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Document.objects.filter(pk=doc.pk).exists()
    assert not files & files_under(media_root)
    entry = LogEntry.objects.get(object_id=str(doc.pk), action_flag=DELETION)
    assert entry.user == admin_user and doc.sha256 in entry.get_change_message()
    assert any(
        doc.sha256 in r.getMessage() and "admin" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_an_admin_deletes_several_documents_from_the_list(
    admin_client, demo_types, media_root, django_capture_on_commit_callbacks
):
    docs = [bill(demo_types, S.COMPLETED), bill(demo_types, S.FAILED)]
    files = set().union(*(stored_files(d) for d in docs))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/documents/document/",
            {"action": "delete_selected", "_selected_action": [d.pk for d in docs], "post": "yes"},
        )
    assert response.status_code == 302
    assert not Document.objects.exists()
    assert not files & files_under(media_root)
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2


def test_the_admin_keeps_the_audit_trail_undeletable_on_its_own():
    assert not site._registry[Event].has_delete_permission(None)
