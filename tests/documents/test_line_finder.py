"""A document type chooses how its pages' lines are found: the OpenCV line finder (default), the
PP-OCRv6 text detector from the pinned wheel (phone photos), or both; the pipeline uses it."""

from __future__ import annotations

import io

import cv2
import pytest
from PIL import Image

from documents import services
from documents.files import taken_by_camera
from documents.models import DocumentType
from documents.shipped_types import install_types
from processing import run
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


def _jpeg(path, **exif_tags: object) -> bytes:
    """The page as a JPEG; with ``exif_tags`` (EXIF IFD tag number → value) as a camera writes."""
    image = Image.open(path).convert("RGB")
    exif = Image.Exif()
    if exif_tags:
        exif[0x010F] = "Apple"
        ifd = exif.get_ifd(0x8769)
        ifd.update({int(tag): value for tag, value in exif_tags.items()})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


PHONE = {str(0x829A): 1 / 60, str(0x920A): 4.2}  # exposure time, focal length


def test_a_camera_photo_is_told_from_a_scan(samples):
    page = samples / SAMPLE
    assert taken_by_camera(_jpeg(page, **PHONE), "image/jpeg")
    assert not taken_by_camera(_jpeg(page), "image/jpeg"), "no camera data: a scan"
    assert not taken_by_camera(page.read_bytes(), "image/png")
    assert not taken_by_camera(b"%PDF-1.7 ...", "application/pdf")
    assert not taken_by_camera(b"not an image", "image/jpeg")
    assert run._finder_name("auto", _jpeg(page, **PHONE), "image/jpeg") == "detector"
    assert run._finder_name("auto", page.read_bytes(), "image/png") == "lines"
    assert run._finder_name("hybrid", _jpeg(page, **PHONE), "image/jpeg") == "hybrid"


def test_automatic_reads_a_phone_photo_with_the_detector(
    db, samples, django_capture_on_commit_callbacks, monkeypatch
):
    install_types()
    doc_type = DocumentType.objects.get(code="e_invoice_digital")
    assert doc_type.line_finder == DocumentType.LineFinder.AUTO, "the default"
    chosen: list[str] = []
    real = run._finder_name
    monkeypatch.setattr(run, "_finder_name", lambda *a: chosen.append(real(*a)) or chosen[-1])
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.ingest(
            _jpeg(samples / SAMPLE, **PHONE), name="photo.jpg", document_type=doc_type
        ).document
    doc.refresh_from_db()
    assert chosen == ["detector"]
    assert doc.fields.get(spec__key="invoice_number").value == NUMBER


def test_the_detector_input_cap_comes_from_the_settings(settings, monkeypatch):
    """OCR_DETECTOR_MAX_PIXELS and _STRIP_ROWS bound a photo worker's memory: the loaded
    detector uses them."""
    monkeypatch.setattr(loader, "_detector", None)
    settings.OCR_DETECTOR_MAX_PIXELS = 1_500_000
    settings.OCR_DETECTOR_STRIP_ROWS = 480
    loader.line_finder("detector")
    assert loader._detector is not None and loader._detector.settings.max_pixels == 1_500_000
    assert loader._detector.settings.strip_rows == 480
