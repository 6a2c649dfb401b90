"""One small function per audit event type; every state change writes one of these."""

from __future__ import annotations

from typing import Any

from .models import Document, Event, Field


def _record(
    document: Document,
    kind: str,
    *,
    actor=None,
    field: Field | None = None,
    before: Any = None,
    after: Any = None,
    **detail: Any,
) -> Event:
    return Event.objects.create(
        document=document,
        field=field,
        field_key=field.spec.key if field else "",
        actor=actor,
        kind=kind,
        before=before,
        after=after,
        detail=detail,
    )


def document_received(document: Document, actor=None) -> Event:
    return _record(
        document,
        "document_received",
        actor=actor,
        after={"status": document.status},
        source=document.source,
        sha256=document.sha256,
        name=document.original_name,
    )


def status_changed(document: Document, before: str, after: str, *, actor=None, **detail) -> Event:
    return _record(
        document,
        "status_changed",
        actor=actor,
        before={"status": before},
        after={"status": after},
        **detail,
    )


def recognition_finished(document: Document, *, fields: int, review: int, seconds: float) -> Event:
    return _record(
        document,
        "recognition_finished",
        after={"status": document.status},
        fields=fields,
        needs_review=review,
        seconds=round(seconds, 3),
        models=document.model_versions,
    )


def recognition_failed(document: Document, error: str, *, attempt: int) -> Event:
    return _record(
        document,
        "recognition_failed",
        after={"status": document.status},
        error=error,
        attempt=attempt,
    )


def rerun_requested(document: Document, actor=None) -> Event:
    return _record(document, "rerun_requested", actor=actor, before={"status": document.status})


def field_decided(
    field: Field, *, actor, kind: str, before: dict | None, after: dict | None, **detail
) -> Event:
    return _record(
        field.document, kind, actor=actor, field=field, before=before, after=after, **detail
    )


def field_reread(field: Field, *, raw_text: str, confidence: float) -> Event:
    """A re-run read a field a clerk had decided: the human value stays, the reading is noted."""
    return _record(
        field.document,
        "field_reread",
        field=field,
        after={"raw_text": raw_text, "confidence": round(confidence, 4)},
        kept_value=field.value,
    )
