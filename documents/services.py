"""Every write to documents goes through here: the web page, the API, the admin and the tasks."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from . import events, transitions
from .exceptions import UnknownDocumentType
from .files import sha256_bytes, validate
from .limits import intake_limits
from .models import Document, DocumentType
from .tasks import enqueue_recognition

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "application/pdf": ".pdf",
}


@dataclass(frozen=True)
class IngestResult:
    document: Document
    created: bool  # False: the same file was already submitted for this document type


def resolve_document_type(value: DocumentType | str | int) -> DocumentType:
    if isinstance(value, DocumentType):
        return value
    lookup = {"pk": value} if isinstance(value, int) or str(value).isdigit() else {"code": value}
    try:
        return DocumentType.objects.get(active=True, **lookup)
    except DocumentType.DoesNotExist:
        raise UnknownDocumentType(f"There is no active document type {value!r}.") from None


def ingest(
    data: bytes,
    *,
    name: str,
    document_type: DocumentType | str | int,
    user=None,
    source: str = Document.Source.WEB,
    external_id: str = "",
) -> IngestResult:
    """Validate, deduplicate by sha256 per document type, store, then queue recognition.

    Validation runs before anything is written, so a refused upload leaves no trace; the file is
    stored before the row commits, and recognition is queued only after the commit.
    """
    doc_type = resolve_document_type(document_type)
    content_type, _pages = validate(data, intake_limits())
    sha = sha256_bytes(data)
    existing = Document.objects.filter(document_type=doc_type, sha256=sha).first()
    if existing:
        return IngestResult(existing, False)
    base = os.path.basename(name or "upload")[:200] or "upload"
    stored_name = f"{sha[:16]}{_EXTENSIONS[content_type]}"
    try:
        with transaction.atomic():
            document = Document(
                sha256=sha,
                original_name=base,
                content_type=content_type,
                size=len(data),
                document_type=doc_type,
                source=source,
                submitted_by=user if user and user.is_authenticated else None,
                external_id=external_id[:128],
            )
            document.file.save(stored_name, ContentFile(data), save=False)
            document.save()
            events.document_received(document, actor=document.submitted_by)
            enqueue_recognition(document.pk)
    except IntegrityError:
        # A concurrent upload of the same file won the race: hand back its document.
        document.file.storage.delete(document.file.name)
        return IngestResult(Document.objects.get(document_type=doc_type, sha256=sha), False)
    return IngestResult(document, True)


def rerun_recognition(document: Document, *, actor=None) -> bool:
    """Queue a fresh recognition (supervisor or admin action); fields are replaced, not added."""
    with transaction.atomic():
        events.rerun_requested(document, actor=actor)
        if not transitions.requeue(document, actor=actor, reset_attempts=True):
            return False
        enqueue_recognition(document.pk)
    return True
