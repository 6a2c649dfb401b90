"""Exports of documents' results: written at once for a few documents, by a worker for many.

``documents.exports`` writes the table (pure); this module reads the documents into it, and runs
large exports as ``DocumentExport`` jobs (queued after commit, claimed with a conditional update,
a re-run replaces the file), the file kept in the default storage for the download view, never
served publicly.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ocr_review.roles import is_clerk, is_supervisor
from ocr_review.tasking import enqueue_on_commit

from . import exports
from .listing import annotate_counts
from .models import Document, DocumentExport, Field, FieldSpec

log = logging.getLogger(__name__)

CHUNK = 200  # documents read per query, and how often a job's progress is saved
FOLDER = "exports"  # in the default storage, beside the corrections exports (reviews.jobs)

Progress = Callable[[int], None]


def sync_max() -> int:
    """Exports of more documents than this run as a background job; fewer in the request."""
    return int(settings.OCR_EXPORT_SYNC_MAX)


def field_value(field: Field) -> str:
    """The field's value as exported: the rules' canonical form (a clerk's decision renews it)."""
    return field.normalized or field.value


def header(keys: Sequence[str]) -> list[str]:
    return [
        _("Document"),
        _("File"),
        _("External ID"),
        _("Type"),
        _("Status"),
        _("Received"),
        _("Fields to review"),
        *keys,
    ]


def build_table(ids: Sequence[int], progress: Progress | None = None) -> exports.Table:
    """The export of the documents ``ids`` in that order; ``progress(n)`` after every chunk."""
    type_ids: set[int] = set()
    for chunk in _chunks(ids):
        type_ids.update(
            Document.objects.filter(pk__in=chunk).values_list("document_type_id", flat=True)
        )
    specs = FieldSpec.objects.filter(document_type__in=type_ids).order_by(
        "document_type__name", "document_type__code", "order", "id"
    )
    keys = exports.merge_keys([list(specs.values_list("key", flat=True))])
    return exports.Table(header=header(keys), keys=keys, rows=_rows(ids, progress))


def _rows(ids: Sequence[int], progress: Progress | None) -> Iterator[exports.DocumentRow]:
    fields = Prefetch("fields", queryset=Field.objects.select_related("spec"))
    done = 0
    for chunk in _chunks(ids):
        docs = annotate_counts(
            Document.objects.filter(pk__in=chunk).select_related("document_type")
        ).prefetch_related(fields)
        by_id = {d.pk: d for d in docs}
        for pk in chunk:
            doc = by_id.get(pk)
            if doc is not None:  # deleted since it was selected
                yield _row(doc)
        done += len(chunk)
        if progress:
            progress(done)


def _row(doc: Document) -> exports.DocumentRow:
    counts: Any = doc  # annotated by annotate_counts
    return exports.DocumentRow(
        id=doc.pk,
        name=doc.original_name,
        external_id=doc.external_id,
        type=doc.document_type.code,
        status=doc.status,
        received=timezone.localtime(doc.created_at).replace(tzinfo=None),
        to_review=counts.n_review,
        values={f.spec.key: field_value(f) for f in doc.fields.all()},
    )


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def write(ids: Sequence[int], fmt: str) -> bytes:
    """A small export, in the request."""
    return exports.to_bytes(build_table(ids), fmt)


def exports_for(user: Any) -> QuerySet[DocumentExport]:
    """A clerk sees the exports they asked for; a supervisor every one."""
    if is_supervisor(user):
        return DocumentExport.objects.all()
    if is_clerk(user):
        return DocumentExport.objects.filter(created_by=user)
    return DocumentExport.objects.none()


def request_export(ids: Sequence[int], fmt: str, user: Any) -> DocumentExport:
    """Save a queued export of ``ids`` and hand it to a worker once the transaction commits."""
    job = DocumentExport.objects.create(
        format=fmt,
        document_ids=list(ids),
        total=len(ids),
        language=translation.get_language() or "",
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    enqueue_on_commit(
        "documents.tasks.run_document_export", job.pk, queue="background", group="exports"
    )
    return job


def run_export(job_id: int) -> str:
    """Run one export job; a second delivery of the same task does nothing. A job left running
    by a dead worker is taken again after the task timeout, and its file replaced."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.Q_TIMEOUT_S)
    claimed = (
        DocumentExport.objects.filter(pk=job_id)
        .filter(
            Q(status=DocumentExport.Status.QUEUED)
            | Q(status=DocumentExport.Status.RUNNING, started_at__lt=stale)
        )
        .update(status=DocumentExport.Status.RUNNING, started_at=now, done=0, error="")
    )
    if not claimed:
        return "skipped"
    job = DocumentExport.objects.get(pk=job_id)

    def progress(done: int) -> None:
        DocumentExport.objects.filter(pk=job.pk).update(done=min(done, job.total))

    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            stored = _store(job, build_table(job.document_ids, progress))
    except Exception as exc:
        log.exception("documents export %s failed", job.pk)
        DocumentExport.objects.filter(pk=job.pk).update(
            status=DocumentExport.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        return "failed"
    DocumentExport.objects.filter(pk=job.pk).update(
        status=DocumentExport.Status.DONE,
        file=stored,
        done=job.total,
        finished_at=timezone.now(),
    )
    return "done"


def _store(job: DocumentExport, table: exports.Table) -> str:
    """Write the table to a temporary file, then into the default storage (replacing an earlier
    file of this job); returns the stored name."""
    with tempfile.TemporaryFile() as fh:
        exports.write(table, job.format, fh)
        fh.seek(0)
        target = f"{FOLDER}/{job.filename}"
        if default_storage.exists(target):
            default_storage.delete(target)
        return default_storage.save(target, File(fh))


def open_file(job: DocumentExport) -> IO[bytes] | None:
    """The finished export from the default storage, or None."""
    if job.status != DocumentExport.Status.DONE or not job.file:
        return None
    if not default_storage.exists(job.file):
        return None
    return default_storage.open(job.file, "rb")
