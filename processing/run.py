"""Recognition of one stored document, end to end: claim, read, store, route. Idempotent.

Imported by workers only (through processing.tasks), so web processes never load torch.
"""

from __future__ import annotations

import io
import logging
import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from documents import transitions
from documents.exceptions import IntakeError
from documents.files import render_pages
from documents.limits import intake_limits
from documents.models import Document, Field, Page, TextLine
from documents.services import enqueue_recognition
from recognition import loader
from recognition.exceptions import ModelUnavailable

from .reading import SpecInput, recognize_document

log = logging.getLogger(__name__)


def spec_inputs(document: Document) -> list[SpecInput]:
    return [
        SpecInput(
            key=s.key,
            label=s.label,
            aliases=tuple(s.label_aliases or ()),
            kind=s.kind,
            region=s.region or None,
            required=s.required,
            rules=s.rules or {},
            threshold=s.effective_threshold,
            numeric=s.numeric,
        )
        for s in document.document_type.fields.all()
    ]


def process_document(document_id: int) -> str:
    """Run recognition if the document is ours to process; returns what happened, for logs.

    The models are loaded before the document is claimed: a worker whose model is missing or
    damaged gives the task back and leaves the document queued for a healthy worker instead of
    failing it.
    """
    try:
        general, general_version = loader.active_predictor("general")
        numeric, numeric_version = loader.active_predictor("numeric")
    except ModelUnavailable:
        if not settings.OCR_TASKS_SYNC:
            # Give the task back after a pause: another worker (or this one, once the model is
            # fixed) takes it; the document is never claimed, so never failed for it.
            time.sleep(settings.OCR_MODEL_RETRY_S)
            enqueue_recognition(document_id)
        return "model_unavailable"
    document = transitions.claim_for_processing(document_id)
    if document is None:
        return "skipped"
    started = time.perf_counter()
    try:
        with document.file.open("rb") as fh:
            data = fh.read()
        t0 = time.perf_counter()
        images = render_pages(data, document.content_type, intake_limits())
        render_s = time.perf_counter() - t0
        result = recognize_document(images, spec_inputs(document), general=general, numeric=numeric)
    except IntakeError as exc:
        transitions.fail(document.pk, exc.message)
        return "failed"
    except Exception as exc:
        log.exception("recognition of document %s failed", document_id)
        document = transitions.fail_or_retry(document.pk, f"{type(exc).__name__}: {exc}")
        if document.status == Document.Status.QUEUED:
            enqueue_recognition(document.pk)
        return "error"
    versions = {"general": general_version, "numeric": numeric_version}
    store_result(document, result, versions, render_s=render_s)
    transitions.finish_processing(document, seconds=time.perf_counter() - started)
    return "done"


def _page_file(image) -> ContentFile:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=88, optimize=True)
    return ContentFile(buffer.getvalue())


def store_result(document: Document, result, versions: dict, *, render_s: float) -> None:
    """Replace pages, lines and fields in one transaction: a re-run never duplicates them."""
    specs = {s.key: s for s in document.document_type.fields.all()}
    page_files = [_page_file(page.image) for page in result.pages]
    old_files = [p.image.name for p in document.pages.all() if p.image.name]
    with transaction.atomic():
        document.fields.all().delete()
        document.pages.all().delete()
        pages = []
        for index, (page, content) in enumerate(zip(result.pages, page_files)):
            row = Page(
                document=document,
                index=index,
                skew_angle=page.skew_angle,
                width=page.image.width,
                height=page.image.height,
            )
            row.image.save(f"doc{document.pk}-p{index}.jpg", content, save=False)
            row.save()
            pages.append(row)
        TextLine.objects.bulk_create(
            TextLine(
                page=pages[line.page],
                order=i,
                box=list(line.box),
                text=line.text,
                confidence=round(line.confidence, 4),
            )
            for page in result.pages
            for i, line in enumerate(page.lines)
        )
        Field.objects.bulk_create(
            Field(
                document=document,
                spec=specs[f.key],
                page=pages[f.page] if f.page is not None else None,
                box=list(f.box) if f.box else None,
                raw_text=f.raw_text,
                value=f.value,
                confidence=round(f.confidence, 4),
                char_confidences=[round(c, 3) for c in f.char_confidences],
                status=Field.Status.NEEDS_REVIEW if f.reasons else Field.Status.AUTO_ACCEPTED,
                review_reasons=f.reasons,
                model_version=versions[f.model],
            )
            for f in result.fields
        )
        Document.objects.filter(pk=document.pk).update(
            page_count=len(pages),
            model_versions={
                k: {"id": v.pk, "sha256": v.sha256, "name": v.name} for k, v in versions.items()
            },
            timings={**result.timings, "render_s": round(render_s, 3)},
        )
    for name in old_files:
        document.pages.model.image.field.storage.delete(name)
