"""Rescue documents whose worker died: requeue them, or fail them once attempts are spent."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from documents import transitions
from documents.models import Document
from documents.services import enqueue_recognition

S = Document.Status


def rescue_stuck_documents() -> dict:
    """Stuck = PROCESSING past the task timeout, or QUEUED long enough that its task was lost.

    A waiting document is queued again at most once (until a worker claims it): in a long queue
    its task is merely late, and a copy per sweep would only make the queue longer.
    """
    lost_queue = timezone.now() - timedelta(seconds=settings.OCR_STUCK_AFTER_S)
    stuck = Document.objects.filter(
        Q(status=S.PROCESSING, processing_started_at__lt=transitions.stale_before())
        | Q(status=S.QUEUED, updated_at__lt=lost_queue, watchdog_requeued_at__isnull=True)
    )
    requeued = failed = 0
    for document in stuck:
        if document.attempts >= settings.OCR_MAX_ATTEMPTS and document.status == S.PROCESSING:
            transitions.fail(
                document.pk,
                f"Gave up after {document.attempts} attempts: the worker "
                "stopped (killed, out of memory or timed out).",
            )
            failed += 1
        elif transitions.requeue(document, by_watchdog=True):
            enqueue_recognition(document.pk)
            requeued += 1
    return {"requeued": requeued, "failed": failed}
