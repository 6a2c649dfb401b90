"""Blind second checks: which auto-accepted fields a clerk reads again, and what the clerk found.

A document type sends a share of its auto-accepted fields (``second_check_rate``) and every
auto-accepted field of a new model version's first documents (``second_check_first_documents``)
back to the review queue. The clerk sees an ordinary field to review, not that it was accepted:
the reason shown is the neutral :data:`REASON`. Whether the clerk kept or changed the value is the
measurement of the automation's error rate (``reviews.error_rates``).

The draw is a hash of the document and the field spec, not a random number, so a re-run of a
document makes the same choice and never draws twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone

from recognition.models import ModelVersion

from .models import Document, Field, SecondCheck
from .rules import fold_text, messages
from .rules.base import REASON_SECOND_CHECK

REASON = messages.reason(REASON_SECOND_CHECK, messages.SECOND_CHECK)


def drawn(document_id: int, spec_id: int, rate: float) -> bool:
    """True for a share ``rate`` of (document, spec) pairs, the same answer every time."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"second-check:{document_id}:{spec_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _in_new_model_window(document: Document, version: ModelVersion | None) -> bool:
    """``version`` replaced another model for this type and has read fewer than N of its
    documents before this one. The first model a type ever sees is not "new": there is nothing
    it replaced, and a fresh installation would otherwise send every field of its first
    documents to review."""
    limit = document.document_type.second_check_first_documents
    if not limit or version is None:
        return False
    same_type = Field.objects.filter(document__document_type=document.document_type)
    replaced_another = (
        same_type.filter(model_version__kind=version.kind)
        .exclude(model_version=version)
        .exclude(document=document)
        .exists()
    )
    if not replaced_another:
        return False
    earlier = (
        Document.objects.filter(
            document_type=document.document_type, fields__model_version=version, pk__lt=document.pk
        )
        .distinct()
        .count()
    )
    return earlier < limit


def sample(document: Document, versions: Mapping[str, ModelVersion]) -> int:
    """Send the drawn auto-accepted fields of ``document`` to a blind second check; returns how
    many wait for one. Runs inside the transaction that stored the fields; a field already
    sampled (a re-run) keeps its check and goes back to the queue."""
    if not settings.REVIEW_SECOND_CHECKS:
        return 0
    doc_type = document.document_type
    accepted = list(
        Field.objects.filter(document=document, status=Field.Status.AUTO_ACCEPTED).select_related(
            "spec", "model_version"
        )
    )
    if not accepted:
        return 0
    existing = {c.field_id: c for c in SecondCheck.objects.filter(field__in=accepted)}
    new_model = _in_new_model_window(document, versions.get("general"))
    flagged = 0
    for field in accepted:
        check = existing.get(field.pk)
        if check is not None and check.outcome != SecondCheck.Outcome.PENDING:
            continue
        if check is not None:
            reason = check.reason
        elif new_model:
            reason = SecondCheck.Reason.NEW_MODEL
        elif drawn(document.pk, field.spec_id, doc_type.second_check_rate):
            reason = SecondCheck.Reason.SAMPLE
        else:
            continue
        Field.objects.filter(pk=field.pk).update(
            status=Field.Status.NEEDS_REVIEW, review_reasons=[REASON]
        )
        SecondCheck.objects.update_or_create(
            field=field,
            defaults={
                "document_type": doc_type,
                "field_kind": field.spec.kind,
                "model_version": field.model_version,
                "reason": reason,
                "accepted_value": field.normalized or field.value,
            },
        )
        flagged += 1
    return flagged


def _same(a: str, b: str) -> bool:
    def canonical(s: str) -> str:
        return "".join(fold_text(s).split()).casefold()

    return canonical(a) == canonical(b)


def record(field: Field, *, value: str, normalized: str, user) -> SecondCheck | None:
    """The clerk decided a field under a pending second check: agreed if the value they kept is
    the accepted one (compared in normal form, ignoring spaces and case), else corrected."""
    check = SecondCheck.objects.filter(field=field, outcome=SecondCheck.Outcome.PENDING).first()
    if check is None:
        return None
    agreed = _same(normalized or value, check.accepted_value)
    check.outcome = SecondCheck.Outcome.AGREED if agreed else SecondCheck.Outcome.CORRECTED
    check.checked_value = value
    check.checked_by = user
    check.checked_at = timezone.now()
    check.save(update_fields=["outcome", "checked_value", "checked_by", "checked_at"])
    return check
