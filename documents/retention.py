"""How long documents, their audit trail and webhook rows are kept, and deleting documents with
their files: the one path for the admin's delete and ``manage.py purge``.

A document's events cascade with it (the trail is append-only, never edited), so a deletion is
recorded where it survives: a WARNING log line per document here, and the admin's LogEntry for a
deletion by hand. Documents still open (queued, processing, waiting for review) are never purged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Document, Event, Page, WebhookEvent

log = logging.getLogger(__name__)

OPEN = (Document.Status.QUEUED, Document.Status.PROCESSING, Document.Status.NEEDS_REVIEW)
# Documents deleted per transaction: short write locks on SQLite, bounded memory.
BATCH = 200


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of row is kept after its last change; 0 keeps it forever."""

    documents_days: int = 0
    events_days: int = 0
    webhooks_days: int = 0

    @classmethod
    def from_settings(cls) -> RetentionPolicy:
        # getattr until the settings declare them (ocr_review/settings.py).
        return cls(
            documents_days=settings.OCR_RETAIN_DOCUMENTS_DAYS,
            events_days=settings.OCR_RETAIN_EVENTS_DAYS,
            webhooks_days=settings.OCR_RETAIN_WEBHOOKS_DAYS,
        )


def _cutoff(days: int, now: datetime) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


@dataclass(frozen=True)
class PurgePlan:
    """What a purge removes now; each queryset is None when its rows are kept forever."""

    documents: QuerySet[Document] | None
    events: QuerySet[Event] | None
    webhooks: QuerySet[WebhookEvent] | None


def plan(policy: RetentionPolicy, now: datetime | None = None) -> PurgePlan:
    """Closed documents unchanged for longer than their days (with pages, fields, events and
    files); events of closed documents older than theirs; webhook events delivered or given up
    older than theirs. Events of documents that go anyway are not counted twice."""
    now = now or timezone.now()
    documents = events = webhooks = None
    if cutoff := _cutoff(policy.documents_days, now):
        documents = Document.objects.exclude(status__in=OPEN).filter(updated_at__lt=cutoff)
    if cutoff := _cutoff(policy.events_days, now):
        events = Event.objects.exclude(document__status__in=OPEN).filter(created_at__lt=cutoff)
        if documents is not None:
            events = events.exclude(document__in=documents)
    if cutoff := _cutoff(policy.webhooks_days, now):
        webhooks = WebhookEvent.objects.exclude(status=WebhookEvent.Status.PENDING).filter(
            created_at__lt=cutoff
        )
    return PurgePlan(documents, events, webhooks)


@dataclass(frozen=True)
class PurgeResult:
    documents: int = 0
    files: int = 0
    events: int = 0
    webhooks: int = 0


def purge(policy: RetentionPolicy, now: datetime | None = None) -> PurgeResult:
    """Delete what :func:`plan` names, documents in batches of :data:`BATCH`."""
    todo = plan(policy, now)
    documents = files = events = webhooks = 0
    if todo.documents is not None:
        while True:
            with transaction.atomic():
                # Locked and checked again in the transaction: a document re-run meanwhile is
                # open again and stays.
                ids = list(todo.documents.select_for_update().values_list("pk", flat=True)[:BATCH])
                if not ids:
                    break
                deleted = delete_documents(
                    Document.objects.filter(pk__in=ids).select_related("document_type"),
                    actor=None,
                    reason="retention",
                )
            documents += deleted.documents
            files += deleted.files
    if todo.events is not None:
        events = todo.events.delete()[1].get(Event._meta.label, 0)
        if events:
            log.warning("purge: %d audit event(s) past OCR_RETAIN_EVENTS_DAYS deleted", events)
    if todo.webhooks is not None:
        webhooks = todo.webhooks.delete()[1].get(WebhookEvent._meta.label, 0)
        if webhooks:
            log.warning(
                "purge: %d webhook event(s) past OCR_RETAIN_WEBHOOKS_DAYS deleted", webhooks
            )
    return PurgeResult(documents, files, events, webhooks)


def describe(document: Document) -> str:
    """What identifies a deleted document once its rows are gone (for logs and the admin log)."""
    return (
        f"document #{document.pk} {document.original_name!r}: type {document.document_type.code}, "
        f"status {document.status}, sha256 {document.sha256}, source {document.source}, "
        f"external id {document.external_id or '-'}, received {document.created_at.isoformat()}"
    )


@dataclass(frozen=True)
class DeletionResult:
    documents: int
    files: int


def file_names(documents: Iterable[Document]) -> list[str]:
    """Every stored file of the documents: the originals and their page images."""
    ids = [d.pk for d in documents]
    originals = [d.file.name for d in documents if d.file.name]
    pages = Page.objects.filter(document_id__in=ids).exclude(image="")
    return originals + [name for name in pages.values_list("image", flat=True) if name]


def delete_documents(
    documents: QuerySet[Document] | Iterable[Document], *, actor: Any, reason: str
) -> DeletionResult:
    """Delete documents with their pages, fields, events and files.

    Each deletion is logged at WARNING with who, why and what the document was. The rows go in
    the caller's transaction; the files only once it commits, so a rollback loses nothing.
    """
    docs = list(documents)
    if not docs:
        return DeletionResult(0, 0)
    names = file_names(docs)
    who = getattr(actor, "username", None) or "system"
    for doc in docs:
        log.warning("%s deleted by %s (%s)", describe(doc), who, reason)
    with transaction.atomic():
        Document.objects.filter(pk__in=[d.pk for d in docs]).delete()
        transaction.on_commit(lambda: _delete_files(names))
    return DeletionResult(len(docs), len(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.exception("could not delete the stored file %s", name)
