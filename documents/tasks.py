"""django-q2 tasks: thin wrappers that take ids and call domain code."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)


def enqueue_recognition(document_id: int) -> None:
    """Queue recognition once the current transaction commits (never before: the worker would
    not see the row, or would see stale data)."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "documents.tasks.recognize_document",
            document_id,
            task_name=f"recognize-{document_id}-{timezone.now():%H%M%S%f}",
            group="recognition",
            sync=settings.OCR_TASKS_SYNC,
        )
    )


def recognize_document(document_id: int) -> str:
    from .pipeline import process_document

    return process_document(document_id)


def watchdog() -> dict:
    from .watchdog import rescue_stuck_documents

    return rescue_stuck_documents()
