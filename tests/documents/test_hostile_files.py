"""Files built to exhaust a worker (issue #14): PDF pages of absurd size, TIFF frames that are
decompression bombs, renders that never end. Each is refused with a stable code, and a worker that
meets one fails the document at once instead of retrying it."""

from __future__ import annotations

import io
import math

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from documents import files, pdf, services
from documents.exceptions import (
    CorruptFile,
    DecompressionBomb,
    IntakeError,
    PageTooLarge,
    PdfTooComplex,
    TooManyPages,
)
from documents.files import PDF, FileLimits, render_pages
from documents.models import Document, Event
from processing import run
from processing.run import process_document

A4 = (595, 842)
A3 = (842, 1191)
GIANT = (14400, 14400)  # 200 inches square, the largest page PDF 1.x allows


def blank_pdf(sizes: list[tuple[float, float]], rotate: int = 0) -> bytes:
    """A valid PDF of empty pages of the given sizes in points, written by hand."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(len(sizes)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(sizes)} >>".encode(),
        *(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w} {h}] /Rotate {rotate} >>".encode()
            for w, h in sizes
        ),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def tiff(*frames: Image.Image, compression: str = "tiff_deflate") -> bytes:
    buffer = io.BytesIO()
    frames[0].save(
        buffer, "TIFF", save_all=True, append_images=list(frames[1:]), compression=compression
    )
    return buffer.getvalue()


def stored(data: bytes, content_type: str, doc_type) -> Document:
    """A document as if it had passed an older, laxer intake: straight to storage, queued."""
    doc = Document(
        sha256=files.sha256_bytes(data),
        original_name="hostile",
        content_type=content_type,
        size=len(data),
        document_type=doc_type,
    )
    doc.file.save("hostile.bin", ContentFile(data), save=False)
    doc.save()
    return doc


def assert_failed_once(doc: Document, *words: str) -> None:
    assert process_document(doc.pk) == "failed"
    doc.refresh_from_db()
    assert doc.status == Document.Status.FAILED
    assert doc.attempts == 1, "an input error is never retried"
    assert Event.objects.filter(document=doc, kind="recognition_failed").count() == 1
    for word in words:
        assert word in doc.error, doc.error


def limits(**overrides) -> FileLimits:
    values = {"max_bytes": 25 * 2**20, "max_pages": 20, "max_pixels": 60_000_000, "dpi": 150}
    return FileLimits(**{**values, **overrides})


# -- PDF pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sizes", "page"),
    [
        pytest.param([GIANT] * 20, 1, id="twenty-giant-pages"),
        pytest.param([A4, A4, GIANT], 3, id="giant-third-page"),
    ],
)
def test_pdf_with_a_giant_page_is_refused_at_intake_as_page_too_large(
    demo_types, settings, sizes, page
):
    settings.OCR_MAX_IMAGE_PIXELS = 60_000_000
    data = blank_pdf(sizes)
    assert len(data) < 3000
    with pytest.raises(PageTooLarge) as info:
        services.ingest(data, name="bomb.pdf", document_type="bank_slip")
    assert (info.value.code, info.value.http_status) == ("page_too_large", 413)
    assert f"Page {page} " in info.value.message and "5080 x 5080 mm" in info.value.message
    assert Document.objects.count() == 0


def test_stored_pdf_bomb_fails_at_once_without_retry(demo_types, settings):
    settings.OCR_MAX_ATTEMPTS = 3
    doc = stored(blank_pdf([GIANT] * 20), PDF, demo_types["bank_slip"])
    assert_failed_once(doc, "Page 1 ", "too large")


def test_merely_large_page_is_rendered_at_a_reduced_dpi_within_the_pixel_cap():
    cap = 10_000_000
    a3, a4 = render_pages(blank_pdf([A3, A4]), PDF, limits(max_pixels=cap, dpi=300))
    assert a3.width * a3.height <= cap
    dpi = a3.width / A3[0] * 72
    assert 200 < dpi < 300
    assert a3.height == pytest.approx(A3[1] * dpi / 72, abs=2)
    assert a3.mode == "RGB"
    at_300 = (math.ceil(A4[0] * 300 / 72), math.ceil(A4[1] * 300 / 72))
    assert a4.size == at_300, "a page under the cap keeps the configured dpi"


def test_rotated_large_page_is_rendered_landscape_within_the_cap():
    (page,) = render_pages(blank_pdf([A3], rotate=90), PDF, limits(max_pixels=2_000_000))
    assert page.width > page.height
    assert page.width * page.height <= 2_000_000


def test_large_page_goes_through_the_pipeline_at_a_reduced_dpi(
    demo_types, settings, django_capture_on_commit_callbacks
):
    settings.OCR_MAX_IMAGE_PIXELS = 1_000_000  # an A4 page at 150 dpi is 2.2 Mpx
    settings.OCR_PDF_DPI = 150
    with django_capture_on_commit_callbacks(execute=True):
        result = services.ingest(blank_pdf([A4]), name="a4.pdf", document_type="bank_slip")
    doc = result.document
    doc.refresh_from_db()
    assert doc.status != Document.Status.FAILED, doc.error
    page = doc.pages.get()
    assert page.width * page.height <= 1_000_000
    assert page.height / page.width == pytest.approx(A4[1] / A4[0], rel=0.01)


def test_render_that_runs_past_its_time_fails_the_document_at_once(
    demo_types, settings, monkeypatch
):
    settings.OCR_MAX_ATTEMPTS = 3
    side = math.floor(72 * math.sqrt(55_000_000) / 150)  # 55 Mpx at 150 dpi: a second or more
    monkeypatch.setattr(run, "intake_limits", lambda: limits(render_timeout_s=0.01))
    doc = stored(blank_pdf([(side, side)]), PDF, demo_types["bank_slip"])
    assert_failed_once(doc, "took longer than")


def test_render_that_needs_more_memory_than_allowed_is_refused_as_too_complex(monkeypatch):
    monkeypatch.setattr(pdf, "_POPPLER_MEMORY_BASE", 64 * 2**20)
    monkeypatch.setattr(pdf, "_POPPLER_BYTES_PER_PIXEL", 0)
    side = math.floor(72 * math.sqrt(55_000_000) / 150)
    with pytest.raises(PdfTooComplex) as info:
        render_pages(blank_pdf([(side, side)]), PDF, limits())
    assert (info.value.code, info.value.http_status) == ("pdf_too_complex", 422)
    assert "memory" in info.value.message


def test_page_count_is_read_and_capped_before_any_page_is_measured(demo_types, settings):
    settings.OCR_MAX_PDF_PAGES = 3
    with pytest.raises(TooManyPages, match="5 pages"):
        services.ingest(blank_pdf([GIANT] * 5), name="long.pdf", document_type="bank_slip")


# -- multi-frame TIFF ----------------------------------------------------------------------------


def test_tiff_whose_second_frame_is_a_bomb_is_refused_at_intake(demo_types, settings):
    settings.OCR_MAX_IMAGE_PIXELS = 1_000_000
    data = tiff(Image.new("RGB", (400, 200), "white"), Image.new("1", (3000, 3000)))
    with pytest.raises(DecompressionBomb) as info:
        services.ingest(data, name="scan.tif", document_type="bank_slip")
    assert (info.value.code, info.value.http_status) == ("image_too_large", 413)
    assert "Page 2" in info.value.message and "3000x3000" in info.value.message
    assert Document.objects.count() == 0


def test_stored_tiff_with_a_bomb_frame_fails_at_once_without_retry(demo_types, settings):
    settings.OCR_MAX_IMAGE_PIXELS = 1_000_000
    data = tiff(Image.new("RGB", (400, 200), "white"), Image.new("1", (3000, 3000)))
    doc = stored(data, "image/tiff", demo_types["bank_slip"])
    assert_failed_once(doc, "Page 2", "too large")


def test_stored_tiff_with_a_truncated_frame_fails_at_once_without_retry(demo_types):
    data = tiff(Image.new("L", (400, 200), 255), Image.new("L", (300, 300), 128), compression="raw")
    doc = stored(data[:-50_000], "image/tiff", demo_types["bank_slip"])
    assert_failed_once(doc, "Page 2", "damaged")


def test_tiff_with_more_frames_than_the_page_cap_is_refused(demo_types, settings):
    settings.OCR_MAX_PDF_PAGES = 3
    data = tiff(*(Image.new("L", (64, 64), 255) for _ in range(4)))
    with pytest.raises(TooManyPages, match="4 pages") as info:
        services.ingest(data, name="scan.tif", document_type="bank_slip")
    assert info.value.http_status == 413


def test_every_tiff_frame_is_rendered_as_a_page():
    frames = [Image.new("L", (100 + 10 * i, 80), 255) for i in range(3)]
    pages = render_pages(tiff(*frames), "image/tiff", limits())
    assert [p.size for p in pages] == [f.size for f in frames]
    assert {p.mode for p in pages} == {"RGB"}


def test_worker_refuses_a_tiff_frame_over_the_cap_even_if_intake_let_it_in():
    data = tiff(Image.new("L", (64, 64), 255), Image.new("1", (2000, 2000)))
    with pytest.raises(DecompressionBomb, match="Page 2"):
        render_pages(data, "image/tiff", limits(max_pixels=1_000_000))


def test_hostile_errors_are_intake_errors_so_the_worker_never_retries_them():
    for error in (PageTooLarge, PdfTooComplex, DecompressionBomb, CorruptFile):
        assert issubclass(error, IntakeError)
