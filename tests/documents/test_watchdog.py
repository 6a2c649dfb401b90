"""The watchdog rescues documents whose worker died, without flooding a long queue with copies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from documents.models import Document
from processing.watchdog import rescue_stuck_documents
from tests.factories import document_with_fields

S = Document.Status


def _age(doc: Document, seconds: float) -> None:
    Document.objects.filter(pk=doc.pk).update(
        updated_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_waiting_document_is_queued_again_at_most_once(demo_types, settings):
    settings.OCR_TASKS_SYNC = False
    doc = document_with_fields(demo_types["bank_slip"], {}, status=S.QUEUED)
    _age(doc, settings.OCR_STUCK_AFTER_S + 60)
    assert rescue_stuck_documents() == {"requeued": 1, "failed": 0}
    _age(doc, settings.OCR_STUCK_AFTER_S + 60)
    assert rescue_stuck_documents() == {"requeued": 0, "failed": 0}, "still waiting: no copy"


def test_a_claim_lets_the_watchdog_rescue_the_document_again(demo_types, settings):
    from documents import transitions

    settings.OCR_TASKS_SYNC = False
    doc = document_with_fields(demo_types["bank_slip"], {}, status=S.QUEUED)
    _age(doc, settings.OCR_STUCK_AFTER_S + 60)
    rescue_stuck_documents()
    assert transitions.claim_for_processing(doc.pk) is not None
    Document.objects.filter(pk=doc.pk).update(
        processing_started_at=timezone.now() - timedelta(seconds=settings.OCR_STUCK_AFTER_S + 60)
    )
    assert rescue_stuck_documents() == {"requeued": 1, "failed": 0}


def test_a_stuck_time_shorter_than_the_task_timeout_stops_start_up(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.Q_TIMEOUT_S = 600
    settings.OCR_STUCK_AFTER_S = 600
    with pytest.raises(SystemCheckError, match="processing.E001"):
        call_command("check")
    settings.OCR_STUCK_AFTER_S = 720
    call_command("check")
