"""Every write to documents goes through here: the web page, the API, the admin and the tasks."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from ocr_review.tasking import enqueue_on_commit

from . import events, transitions
from .exceptions import DocumentTypeNotAllowed, IdempotencyKeyReused, UnknownDocumentType
from .files import sha256_bytes, validate
from .limits import intake_limits
from .models import HUMAN_DECIDED, ApiClient, Document, DocumentType

_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "application/pdf": ".pdf",
}


def enqueue_recognition(document_id: int) -> None:
    """Recognise the document in a worker once the caller's transaction commits.

    A broker that cannot take the task (Redis down, a locked SQLite queue) is logged, not raised:
    the document row has committed by then, and the watchdog queues a document left waiting
    (``processing.watchdog``). Raising would fail an upload that was in fact kept.
    """
    enqueue_on_commit(
        "processing.tasks.run_recognition",
        document_id,
        queue="recognition",
        group="recognition",
        name=f"recognize-{document_id}",
        robust=True,
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
    (bank users share one scope); the earlier document is returned, and read again if it had
    failed after all its retries (``transitions.requeue(given_up_only=True)``). Reusing a key for
    a different file is refused.

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
        actor = user if user and user.is_authenticated else None
        if existing.status == Document.Status.FAILED and transitions.requeue(
            existing, actor=actor, reset_attempts=True, given_up_only=True
        ):
            # Sent again after its retries ran out: the sender wants it read, so it is.
            enqueue_recognition(existing.pk)
        return IngestResult(existing, False)
    base = os.path.basename(name or "upload")[:200] or "upload"
    # A name of its own per document: an object store that overwrites by default (S3) would
    # otherwise let one client's purge, or a lost race's clean-up, delete another's identical file.
    stored_name = f"{sha[:16]}-{uuid.uuid4().hex[:12]}{_EXTENSIONS[content_type]}"
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
    try:
        with transaction.atomic():
            document.file.save(stored_name, ContentFile(data), save=False)
            document.save()
            events.document_received(document, actor=document.submitted_by)
            enqueue_recognition(document.pk)
    except IntegrityError:
        # A concurrent submission of the same file or key won the race: hand back its document.
        _discard_file(document)
        existing = _earlier_submission(doc_type, sha, api_client, idempotency_key)
        if existing is None:
            raise
        return IngestResult(existing, False)
    except BaseException:
        # Whatever undid the row (a lost connection, a locked database), its file goes too.
        _discard_file(document)
        raise
    return IngestResult(document, True)


def _discard_file(document: Document) -> None:
    if document.file.name:
        document.file.storage.delete(document.file.name)


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


@dataclass(frozen=True)
class RerunPreview:
    """What a re-run of a document will do, said before it is asked for."""

    kept: int  # confirmed or corrected by a clerk: value, status and history stay
    leased: int  # held by a clerk right now: not touched at all
    refreshed: int  # nobody decided them: read again
    reopens: bool  # a completed document goes back to the queue (and its submitter is told)
    notifies: bool  # the submitter gets document.reopened


def rerun_preview(document: Document) -> RerunPreview:
    fields = document.fields.all()
    decided = fields.filter(status__in=HUMAN_DECIDED)
    leased = fields.filter(claim__locked_until__gt=timezone.now()).exclude(status__in=HUMAN_DECIDED)
    reopens = document.status == Document.Status.COMPLETED
    return RerunPreview(
        kept=decided.count(),
        leased=leased.count(),
        refreshed=fields.count() - decided.count() - leased.count(),
        reopens=reopens,
        notifies=reopens and bool(document.callback_url) and document.api_client_id is not None,
    )


def rerun_recognition(document: Document, *, actor=None) -> bool:
    """Queue a fresh recognition (supervisor or admin action).

    Human work survives it: fields a clerk confirmed or corrected keep their value, status and
    history (the new reading is recorded beside them), fields under a clerk's lease are not
    touched; only fields nobody decided are read again (processing.run.store_result).
    """
    with transaction.atomic():
        events.rerun_requested(document, actor=actor)
        if not transitions.requeue(document, actor=actor, reset_attempts=True):
            return False
        enqueue_recognition(document.pk)
    return True
