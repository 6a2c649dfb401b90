"""Recognition of one stored document, end to end: claim, read, store, route. Idempotent.

Imported by workers only (through processing.tasks), so web processes never load torch.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from documents import transitions
from documents.exceptions import IntakeError
from documents.files import render_pages, taken_by_camera
from documents.limits import intake_limits
from documents.models import Document
from documents.services import enqueue_recognition
from recognition import loader
from recognition.exceptions import ModelUnavailable

from .reading import LineFinder, SpecInput, recognize_document
from .store import store_result

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
            location=s.location or None,
            cleaning=s.cleaning or None,
        )
        for s in document.document_type.fields.all()
    ]


def _finders_for(choice: str) -> tuple[str, ...]:
    return ("lines",) if choice == "auto" else (choice,)


def _finder(finders: dict[str, LineFinder], name: str) -> LineFinder:
    """The named finder; under "auto" the detector is loaded on the first photo, and a detector
    that cannot be loaded leaves the photo to the line finder (it reads, with fewer lines)."""
    if name not in finders:
        try:
            finders[name] = loader.line_finder(name)
        except ModelUnavailable:
            log.warning("no text detector: %s read with the line finder", name)
            return finders["lines"]
    return finders[name]


def _finder_name(choice: str, data: bytes, content_type: str) -> str:
    """The line finder for this file: "auto" takes the detector for a camera's photo.

    On rendered bills the two find as many lines on scans (recall 0.77 / 0.78), the detector at 30
    times the CPU, and the detector more on their photo-like copies (0.81 against 0.70;
    bench/results/line-recall-synthetic.md); the sample pages agree (line-recall.md).
    """
    if choice != "auto":
        return choice
    return "detector" if taken_by_camera(data, content_type) else "lines"


def process_document(document_id: int) -> str:
    """Run recognition if the document is ours to process; returns what happened, for logs.

    The models are loaded before the document is claimed: a worker whose model is missing or
    damaged gives the task back and leaves the document queued for a healthy worker instead of
    failing it.
    """
    try:
        general, general_version = loader.active_predictor("general")
        numeric, numeric_version = loader.active_predictor(settings.OCR_NUMERIC_FIELDS_MODEL)
        page_reader = loader.page_reader(general)  # the fast reader in front, if there is one
        choice = (
            Document.objects.filter(pk=document_id)
            .values_list("document_type__line_finder", flat=True)
            .first()
        ) or "lines"
        # Loaded before the claim, like the models; "auto" loads the detector only when a
        # photo arrives, so a worker that never sees one never holds it.
        finders = {name: loader.line_finder(name) for name in _finders_for(choice)}
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
        finder = _finder(finders, _finder_name(choice, data, document.content_type))
        result = recognize_document(
            images,
            spec_inputs(document),
            general=page_reader,
            numeric=numeric,
            layout=document.document_type.layout or None,
            find=finder,
        )
        versions = {"general": general_version, "numeric": numeric_version}
        store_result(
            document,
            result,
            versions,
            render_s=render_s,
            other_models=loader.used_models(page_reader),
        )
        transitions.finish_processing(document, seconds=time.perf_counter() - started)
    except IntakeError as exc:
        transitions.fail(document.pk, exc.message)
        return "failed"
    except Exception as exc:
        log.exception("recognition of document %s failed", document_id)
        # Clerks and API clients see this text: the kind of failure, never a server path or
        # other internals (the log above has the details for the operators).
        document = transitions.fail_or_retry(
            document.pk,
            f"Recognition stopped on an unexpected error ({type(exc).__name__}); it is retried "
            "automatically, and the operators' log has the details.",
        )
        if document.status == Document.Status.QUEUED:
            enqueue_recognition(document.pk)
        return "error"
    return "done"
