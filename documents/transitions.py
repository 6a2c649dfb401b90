"""Every status change of a Document happens here, as a conditional update plus an event.

Conditional updates (``filter(pk=..., status=...).update(...)``) make each transition atomic
against other workers and clerks: if 0 rows change, someone else got there first.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import events, notify
from .models import Document, Field, WebhookEvent

S = Document.Status
UNFINISHED = (S.QUEUED, S.PROCESSING, S.NEEDS_REVIEW)


def stale_before():
    """Processing that started before this moment is dead: django-q kills tasks at its timeout."""
    return timezone.now() - timedelta(seconds=settings.OCR_STUCK_AFTER_S)


def claim_for_processing(document_id: int) -> Document | None:
    """QUEUED (or PROCESSING abandoned by a killed worker) → PROCESSING; None if not ours to do."""
    now = timezone.now()
    with transaction.atomic():
        claimable = Q(status=S.QUEUED) | Q(
            status=S.PROCESSING, processing_started_at__lt=stale_before()
        )
        before = Document.objects.filter(pk=document_id).values_list("status", flat=True).first()
        if before is None:
            return None
        updated = Document.objects.filter(claimable, pk=document_id).update(
            status=S.PROCESSING,
            processing_started_at=now,
            watchdog_requeued_at=None,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
        if not updated:
            return None
        document = Document.objects.get(pk=document_id)
        events.status_changed(document, before, S.PROCESSING, attempt=document.attempts)
        return document


def finish_processing(document: Document, *, seconds: float) -> Document:
    """PROCESSING → NEEDS_REVIEW or COMPLETED, from the fields just stored.

    Nothing changes (and no event is written) if the document left PROCESSING meanwhile.
    """
    needs_review = document.fields.filter(status=Field.Status.NEEDS_REVIEW).count()
    total = document.fields.count()
    after = S.NEEDS_REVIEW if needs_review else S.COMPLETED
    now = timezone.now()
    changes = {"status": after, "processed_at": now, "error": "", "updated_at": now}
    if after == S.COMPLETED:
        changes["completed_at"] = now
    with transaction.atomic():
        if not Document.objects.filter(pk=document.pk, status=S.PROCESSING).update(**changes):
            document.refresh_from_db()
            return document
        document.refresh_from_db()
        events.status_changed(document, S.PROCESSING, after)
        events.recognition_finished(document, fields=total, review=needs_review, seconds=seconds)
        if after == S.COMPLETED:
            notify.document_changed(document)
    return document


def fail_or_retry(document_id: int, error: str) -> Document:
    """After an error: PROCESSING → QUEUED while attempts remain, else FAILED with the error."""
    document = Document.objects.get(pk=document_id)
    after = S.FAILED if document.attempts >= settings.OCR_MAX_ATTEMPTS else S.QUEUED
    with transaction.atomic():
        changed = Document.objects.filter(pk=document_id, status=S.PROCESSING).update(
            status=after, error=error[:4000], updated_at=timezone.now()
        )
        document.refresh_from_db()
        if not changed:
            return document
        events.recognition_failed(document, error, attempt=document.attempts)
        events.status_changed(document, S.PROCESSING, after)
        if after == S.FAILED:
            notify.document_changed(document)
    return document


def fail(document_id: int, error: str) -> Document:
    """Straight to FAILED from any unfinished status: the file itself is the problem, a retry
    cannot help. A document already failed or completed is left as it is."""
    document = Document.objects.get(pk=document_id)
    before = document.status
    with transaction.atomic():
        changed = Document.objects.filter(pk=document_id, status__in=UNFINISHED).update(
            status=S.FAILED, error=error[:4000], updated_at=timezone.now()
        )
        document.refresh_from_db()
        if not changed:
            return document
        events.recognition_failed(document, error, attempt=document.attempts)
        events.status_changed(document, before, S.FAILED)
        notify.document_changed(document)
    return document


def requeue(
    document: Document,
    *,
    actor=None,
    reset_attempts: bool = False,
    by_watchdog: bool = False,
    given_up_only: bool = False,
) -> bool:
    """Back to QUEUED (re-run requested, or rescued by the watchdog); False if the document is not
    in a state to go back, or another request took it back first.

    ``given_up_only``: only a document FAILED after all its retries (a document sent again: a
    load, not the file, may have been the cause); one failed for its file on its first attempt (an
    IntakeError) stays failed.
    """
    before = document.status
    now = timezone.now()
    changes = {"status": S.QUEUED, "updated_at": now, "error": ""}
    if reset_attempts:
        changes["attempts"] = 0
    changes["watchdog_requeued_at"] = now if by_watchdog else None
    if given_up_only:
        rerunnable = Q(status=S.FAILED, attempts__gte=settings.OCR_MAX_ATTEMPTS)
    else:
        rerunnable = ~Q(status=S.PROCESSING) | Q(processing_started_at__lt=stale_before())
    with transaction.atomic():
        if not Document.objects.filter(rerunnable, pk=document.pk).update(**changes):
            return False
        document.refresh_from_db()
        events.status_changed(document, before, S.QUEUED, actor=actor)
        if before == S.COMPLETED:
            # The integrator was told "completed"; it must hear that this no longer holds.
            notify.document_changed(document, WebhookEvent.Type.REOPENED)
    return True


def complete_if_reviewed(document: Document, *, actor=None) -> bool:
    """NEEDS_REVIEW → COMPLETED once no field waits for a clerk."""
    now = timezone.now()
    with transaction.atomic():
        # Two clerks deciding a document's last two fields at once would each still see the
        # other's field open (PostgreSQL, READ COMMITTED) and neither would complete it: the
        # document row lock orders them, and the second one looks after the first has committed.
        Document.objects.select_for_update().filter(pk=document.pk).exists()
        if document.fields.filter(status=Field.Status.NEEDS_REVIEW).exists():
            return False
        if not Document.objects.filter(pk=document.pk, status=S.NEEDS_REVIEW).update(
            status=S.COMPLETED, completed_at=now, updated_at=now
        ):
            return False
        document.refresh_from_db()
        events.status_changed(document, S.NEEDS_REVIEW, S.COMPLETED, actor=actor)
        notify.document_changed(document)
    return True
