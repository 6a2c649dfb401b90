"""Every write to documents goes through here: the web page, the API, the admin and the tasks."""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from ocr_review.tasking import enqueue_on_commit

from . import events, transitions
from .exceptions import DocumentTypeNotAllowed, IdempotencyKeyReused, UnknownDocumentType
from .files import sha256_bytes, validate
from .limits import intake_limits
from .models import ApiClient, Document, DocumentType

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "application/pdf": ".pdf",
}


def enqueue_recognition(document_id: int) -> None:
    """Recognise the document in a worker once the caller's transaction commits."""
    enqueue_on_commit(
        "processing.tasks.run_recognition",
        document_id,
        queue="recognition",
        group="recognition",
        name=f"recognize-{document_id}",
    )


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
    api_client: ApiClient | None = None,
    idempotency_key: str = "",
    callback_url: str = "",
) -> IngestResult:
    """Validate, deduplicate, store, then queue recognition.

    A submission is the same as an earlier one when it carries the same ``idempotency_key`` from
    the same API client, or the same file (sha256) for the same document type and API client
    (bank users share one scope). Reusing a key for a different file is refused.

    Validation runs before anything is written, so a refused upload leaves no trace; the file is
    stored before the row commits, and recognition is queued only after the commit.
    """
    doc_type = resolve_document_type(document_type)
    if api_client is not None and not api_client.allows(doc_type):
        raise DocumentTypeNotAllowed(
            f"This API client may not submit {doc_type.code!r} documents; ask for the type to be "
            "added to its allowed types."
        )
    content_type, _pages = validate(data, intake_limits())
    sha = sha256_bytes(data)
    existing = _earlier_submission(doc_type, sha, api_client, idempotency_key)
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
                api_client=api_client,
                idempotency_key=idempotency_key[:128],
                callback_url=callback_url,
            )
            document.file.save(stored_name, ContentFile(data), save=False)
            document.save()
            events.document_received(document, actor=document.submitted_by)
            enqueue_recognition(document.pk)
    except IntegrityError:
        # A concurrent submission of the same file or key won the race: hand back its document.
        if document.file.name:
            document.file.storage.delete(document.file.name)
        existing = _earlier_submission(doc_type, sha, api_client, idempotency_key)
        if existing is None:
            raise
        return IngestResult(existing, False)
    return IngestResult(document, True)


def _earlier_submission(
    doc_type: DocumentType, sha: str, api_client: ApiClient | None, idempotency_key: str
) -> Document | None:
    if idempotency_key and api_client is not None:
        earlier = Document.objects.filter(
            api_client=api_client, idempotency_key=idempotency_key[:128]
        ).first()
        if earlier is not None:
            if earlier.sha256 != sha or earlier.document_type_id != doc_type.pk:
                raise IdempotencyKeyReused(
                    f"The Idempotency-Key {idempotency_key!r} was already used for document "
                    f"{earlier.pk} with a different file or document type. Use a new key for a "
                    "new submission."
                )
            return earlier
    return Document.objects.filter(
        document_type=doc_type, sha256=sha, api_client=api_client
    ).first()


def rerun_recognition(document: Document, *, actor=None) -> bool:
    """Queue a fresh recognition (supervisor or admin action); fields are replaced, not added."""
    with transaction.atomic():
        events.rerun_requested(document, actor=actor)
        if not transitions.requeue(document, actor=actor, reset_attempts=True):
            return False
        enqueue_recognition(document.pk)
    return True
