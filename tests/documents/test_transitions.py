"""Every status change is conditional on the status it expects, and writes events only if it ran."""

from __future__ import annotations

from documents import transitions
from documents.models import Document, Event
from tests.factories import document_with_fields

S = Document.Status


def _events(doc: Document) -> list[str]:
    return list(Event.objects.filter(document=doc).values_list("kind", flat=True))


def test_finish_processing_leaves_a_document_that_left_processing_alone(demo_types):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.99, [])})
    assert doc.status == S.NEEDS_REVIEW
    transitions.finish_processing(doc, seconds=1.0)
    doc.refresh_from_db()
    assert doc.status == S.NEEDS_REVIEW and doc.processed_at is None
    assert _events(doc) == []


def test_finish_processing_moves_a_processing_document_once(demo_types):
    doc = document_with_fields(
        demo_types["bank_slip"], {"amount": ("1.00", 0.99, [])}, status=S.PROCESSING
    )
    transitions.finish_processing(doc, seconds=1.0)
    transitions.finish_processing(doc, seconds=1.0)
    doc.refresh_from_db()
    assert doc.status == S.COMPLETED
    assert _events(doc).count("recognition_finished") == 1


def test_fail_or_retry_writes_nothing_when_the_document_is_not_processing(demo_types):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.99, [])})
    after = transitions.fail_or_retry(doc.pk, "OSError: disk")
    assert after.status == S.NEEDS_REVIEW and after.error == ""
    assert _events(doc) == []


def test_fail_leaves_a_completed_document_completed(demo_types):
    doc = document_with_fields(
        demo_types["bank_slip"], {"amount": ("1.00", 0.99, [])}, status=S.COMPLETED
    )
    after = transitions.fail(doc.pk, "broken")
    assert after.status == S.COMPLETED and after.error == ""
    assert _events(doc) == []
