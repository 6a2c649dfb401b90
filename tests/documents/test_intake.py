"""Intake refuses bad files with a clear message and loses nothing; good files are stored once."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from documents import services
from documents.exceptions import (
    CorruptFile,
    DecompressionBomb,
    DocumentTooLarge,
    EmptyFile,
    EncryptedPdf,
    FileTooLarge,
    TooManyPages,
    UnknownDocumentType,
    UnsupportedType,
)
from documents.models import Document, Event


def png_bytes(size=(400, 200), color="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes(pages: int = 1, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(user_password=password, owner_password=password + "-owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(buffer, "PNG")  # 144 Mpx, a few kB compressed
    return buffer.getvalue()


BAD_UPLOADS = [
    pytest.param(b"", EmptyFile, 400, id="zero-bytes"),
    pytest.param(b"PK\x03\x04 this is a zip, not a bill", UnsupportedType, 415, id="wrong-type"),
    pytest.param(b"<html><body>invoice</body></html>", UnsupportedType, 415, id="html-named-jpg"),
    pytest.param(png_bytes()[:80], CorruptFile, 400, id="truncated-png"),
    pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 300, CorruptFile, 400, id="corrupt-jpeg"),
    pytest.param(b"%PDF-1.7\n garbage without objects", CorruptFile, 400, id="corrupt-pdf"),
]


@pytest.mark.parametrize(("data", "error", "status"), BAD_UPLOADS)
def test_bad_upload_is_refused_with_a_clear_error_and_stores_nothing(
    demo_types, media_root, data, error, status
):
    with pytest.raises(error) as info:
        services.ingest(data, name="bill.jpg", document_type="bank_slip")
    assert info.value.http_status == status
    assert len(info.value.message) > 10
    assert Document.objects.count() == 0
    assert not any(media_root.rglob("*.*")) if media_root.exists() else True


def test_encrypted_pdf_is_refused(demo_types):
    with pytest.raises(EncryptedPdf, match="password"):
        services.ingest(pdf_bytes(password="secret"), name="locked.pdf", document_type="bank_slip")


def test_pdf_over_the_page_cap_is_refused_as_too_large(demo_types, settings):
    settings.OCR_MAX_PDF_PAGES = 20
    with pytest.raises(TooManyPages, match="500 pages") as info:
        services.ingest(pdf_bytes(pages=500), name="huge.pdf", document_type="bank_slip")
    assert info.value.http_status == 413


def test_decompression_bomb_is_refused_before_decoding(demo_types, settings):
    settings.OCR_MAX_IMAGE_PIXELS = 60_000_000
    with pytest.raises(DecompressionBomb) as info:
        services.ingest(bomb_png(), name="bomb.png", document_type="bank_slip")
    assert info.value.http_status == 413


def test_file_over_the_size_cap_is_refused(demo_types, settings):
    settings.OCR_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(FileTooLarge, match="limit"):
        services.ingest(
            png_bytes((800, 800), "gray") + b"\x00" * 2000, name="a.png", document_type="bank_slip"
        )


def test_unknown_document_type_is_refused(db):
    with pytest.raises(UnknownDocumentType):
        services.ingest(png_bytes(), name="a.png", document_type="no_such_type")


@pytest.mark.distributed
def test_same_file_twice_gives_one_document(
    demo_types, django_capture_on_commit_callbacks, settings
):
    settings.OCR_TASKS_SYNC = False  # only count documents here, recognition is tested elsewhere
    data = png_bytes(color="ivory")
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.ingest(data, name="a.png", document_type="bank_slip")
        second = services.ingest(data, name="copy-of-a.png", document_type="bank_slip")
    assert first.created and not second.created
    assert first.document.pk == second.document.pk
    assert Document.objects.count() == 1
    assert len(callbacks) == 1, "recognition is queued once, after commit"
    assert Event.objects.filter(kind="document_received").count() == 1


@pytest.mark.distributed
def test_same_file_for_another_document_type_is_a_new_document(demo_types, settings):
    settings.OCR_TASKS_SYNC = False
    data = png_bytes(color="linen")
    a = services.ingest(data, name="a.png", document_type="bank_slip")
    b = services.ingest(data, name="a.png", document_type="vat_invoice")
    assert a.document.pk != b.document.pk


def test_content_type_comes_from_the_bytes_not_the_name(demo_types, settings):
    settings.OCR_TASKS_SYNC = False
    result = services.ingest(pdf_bytes(), name="scan.jpg", document_type="bank_slip")
    assert result.document.content_type == "application/pdf"
    assert result.document.file.name.endswith(".pdf")


@pytest.mark.parametrize(("data", "error", "status"), BAD_UPLOADS[:3])
def test_upload_page_answers_bad_files_with_status_and_message(
    client, clerk, demo_types, data, error, status
):
    client.force_login(clerk)
    response = client.post(
        "/documents/upload/",
        {"file": io.BytesIO(data), "document_type": "bank_slip"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == status
    assert response.json()["code"] == error.code


def test_a_broker_that_cannot_take_the_task_loses_no_upload(
    demo_types, django_capture_on_commit_callbacks, settings, monkeypatch, caplog
):
    """Redis down (or a locked SQLite queue) after the row committed: the upload is kept, file and
    all, and the watchdog queues it once the broker is back."""
    from datetime import timedelta

    import django_q.tasks
    from django.utils import timezone

    from processing.watchdog import rescue_stuck_documents

    settings.OCR_TASKS_SYNC = False

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is not reachable")

    monkeypatch.setattr(django_q.tasks, "async_task", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.ingest(png_bytes(color="khaki"), name="a.png", document_type="bank_slip")
    document = Document.objects.get(pk=result.document.pk)
    assert result.created and document.status == Document.Status.QUEUED
    assert document.file.storage.exists(document.file.name), "the stored file was deleted"
    assert "Redis is not reachable" in caplog.text

    queued = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *a, **k: queued.append(a))
    Document.objects.filter(pk=document.pk).update(
        updated_at=timezone.now() - timedelta(seconds=settings.OCR_STUCK_AFTER_S + 60)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert rescue_stuck_documents() == {"requeued": 1, "failed": 0}
    assert queued == [("processing.tasks.run_recognition", document.pk)]


def test_a_phone_jpeg_with_a_second_image_is_one_page(demo_types):
    """Phones store an HDR gain map or a depth map as a second image in the JPEG (Pillow reads
    such a file as MPO): that is not a second page of the bill."""
    from documents.files import render_pages, validate
    from documents.limits import intake_limits

    photo, gain_map = Image.new("RGB", (600, 400), "white"), Image.new("RGB", (300, 200), "gray")
    buffer = io.BytesIO()
    photo.save(buffer, "MPO", save_all=True, append_images=[gain_map])
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).n_frames == 2
    assert validate(data, intake_limits()) == ("image/jpeg", 1)
    pages = render_pages(data, "image/jpeg", intake_limits())
    assert [page.size for page in pages] == [(600, 400)]


def test_every_frame_of_a_tiff_is_a_page(demo_types):
    from documents.files import render_pages, validate
    from documents.limits import intake_limits

    frames = [Image.new("RGB", (500, 300 + 10 * i), "white") for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    data = buffer.getvalue()
    assert validate(data, intake_limits()) == ("image/tiff", 3)
    assert [p.size for p in render_pages(data, "image/tiff", intake_limits())] == [
        (500, 300),
        (500, 310),
        (500, 320),
    ]


def test_a_small_pdf_of_huge_pages_is_refused_before_a_worker_renders_it(demo_types):
    """A 3 kB PDF of twenty blank 2 × 2 m pages: each fits the page cap at 98 dpi, but together
    they would hold over 600 million pixels (gigabytes in a worker) even at 72 dpi."""
    writer = PdfWriter()
    for _ in range(20):
        writer.add_blank_page(width=5669, height=5669)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DocumentTooLarge, match="million pixels together") as info:
        services.ingest(buffer.getvalue(), name="walls.pdf", document_type="bank_slip")
    assert info.value.http_status == 413 and not Document.objects.exists()


def test_a_tiff_whose_frames_together_are_too_large_is_refused(demo_types, settings):
    settings.OCR_MAX_DOCUMENT_PIXELS = 5_000_000
    frames = [Image.new("1", (2000, 1500), 1) for _ in range(3)]  # 3 Mpx each, 9 together
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    with pytest.raises(DocumentTooLarge, match="3 pages hold 9 million"):
        services.ingest(buffer.getvalue(), name="scan.tif", document_type="bank_slip")
    settings.OCR_MAX_DOCUMENT_PIXELS = 10_000_000
    assert services.ingest(buffer.getvalue(), name="scan.tif", document_type="bank_slip").created


def test_a_pdf_over_the_document_budget_is_rendered_at_one_lower_resolution():
    from documents.limits import FileLimits
    from documents.pdf import PdfPage, document_dpis

    a4 = [PdfPage(n, 595, 842) for n in range(1, 11)]  # 2.2 Mpx each at 150 dpi
    limits = FileLimits(max_bytes=1, max_pages=20, max_pixels=60_000_000)
    assert document_dpis(a4, limits) == [150] * 10
    tight = FileLimits(max_bytes=1, max_pages=20, max_pixels=60_000_000, max_document_pixels=10**7)
    dpis = document_dpis(a4, tight)
    assert len(set(dpis)) == 1 and 72 <= dpis[0] < 150
    assert sum(w * h for w, h in (p.pixels_at(d) for p, d in zip(a4, dpis))) <= 10**7
    assert sum(w * h for w, h in (p.pixels_at(dpis[0] + 1) for p in a4)) > 10**7


def _failed_upload(data: bytes, capture, *, attempts: int, error: str) -> Document:
    from documents import transitions

    with capture():
        document = services.ingest(data, name="a.png", document_type="bank_slip").document
    Document.objects.filter(pk=document.pk).update(attempts=attempts)
    return transitions.fail(document.pk, error)


def test_a_failed_document_sent_again_is_read_again(
    demo_types, settings, django_capture_on_commit_callbacks
):
    settings.OCR_TASKS_SYNC = False
    data = png_bytes(color="wheat")
    first = _failed_upload(
        data, django_capture_on_commit_callbacks, attempts=3, error="Gave up after 3 attempts."
    )
    with django_capture_on_commit_callbacks() as queued:
        again = services.ingest(data, name="a.png", document_type="bank_slip")
    assert not again.created and again.document.pk == first.pk
    assert (again.document.status, again.document.attempts) == (Document.Status.QUEUED, 0)
    assert len(queued) == 1, "recognition is queued again"
    with django_capture_on_commit_callbacks() as queued:
        services.ingest(data, name="a.png", document_type="bank_slip")
    assert not queued, "a document that is not failed is only handed back"


def test_a_document_failed_for_its_file_is_not_read_again(
    demo_types, settings, django_capture_on_commit_callbacks
):
    """A failure on the first attempt is the file's (too complex to render, say): sending the same
    file again cannot help, and must not keep a worker busy."""
    settings.OCR_TASKS_SYNC = False
    data = png_bytes(color="tan")
    _failed_upload(
        data, django_capture_on_commit_callbacks, attempts=1, error="Page 1 took too long."
    )
    with django_capture_on_commit_callbacks() as queued:
        again = services.ingest(data, name="a.png", document_type="bank_slip")
    assert again.document.status == Document.Status.FAILED and not queued


def test_a_pdf_too_slow_to_measure_at_upload_is_refused_there(demo_types, monkeypatch):
    """Measuring runs in the web request: a PDF poppler cannot measure in time is refused with a
    clear message instead of holding a web thread (here the time allowed is shrunk to 1 ms)."""
    from documents import pdf
    from documents.exceptions import PdfTooComplex

    monkeypatch.setattr(pdf, "INTAKE_INFO_TIMEOUT_S", 0.001)
    with pytest.raises(PdfTooComplex, match="could not be read within 0.001 s") as info:
        services.ingest(pdf_bytes(pages=2), name="slow.pdf", document_type="bank_slip")
    assert info.value.http_status == 422 and not Document.objects.exists()
