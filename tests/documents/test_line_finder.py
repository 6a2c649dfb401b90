"""A document type chooses how its pages' lines are found: the OpenCV line finder (default), the
PP-OCRv6 text detector from the pinned wheel (phone photos), or both; the pipeline uses it."""

from __future__ import annotations

import cv2
import pytest

from documents import services
from documents.models import DocumentType
from documents.shipped_types import install_types
from recognition import loader
from recognition.engine.lines import find_lines

SAMPLE = "real-zh/docs/fph_digital_e_invoice_79b53d3d95.png"
NUMBER = "25417000000256819006"


@pytest.fixture
def page(samples):
    return cv2.imread(str(samples / SAMPLE), cv2.IMREAD_GRAYSCALE)


def test_each_finder_finds_the_lines_of_a_real_page(page):
    assert loader.line_finder("lines") is find_lines
    lines = find_lines(page)
    detected = loader.line_finder("detector")(page)
    both = loader.line_finder("hybrid")(page)
    assert len(detected) > 20 and len(lines) > 20
    assert {b.as_tuple() for b in detected} <= {b.as_tuple() for b in both}
    assert len(both) >= len(detected)
    with pytest.raises(ValueError):
        loader.line_finder("guess")


def test_a_type_that_uses_the_detector_reads_its_fields(
    db, samples, django_capture_on_commit_callbacks
):
    install_types()
    doc_type = DocumentType.objects.get(code="e_invoice_digital")
    doc_type.line_finder = DocumentType.LineFinder.DETECTOR
    doc_type.save()
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.ingest(
            (samples / SAMPLE).read_bytes(), name="invoice.png", document_type=doc_type
        ).document
    doc.refresh_from_db()
    assert doc.status in ("completed", "needs_review"), doc.error
    assert doc.fields.get(spec__key="invoice_number").value == NUMBER
