"""Read-only querysets of the review queue."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from documents.models import Document, Field

# A document being read (again) is out of the queue until its worker has stored the new reading:
# the worker leaves a leased field alone, so a clerk's hold would drop that field's new reading.
BEING_READ = (Document.Status.QUEUED, Document.Status.PROCESSING)


def open_fields(*, document_type: str = "", kind: str = "", reason: str = "") -> QuerySet[Field]:
    """Fields waiting for a clerk, oldest document first, filtered as the queue page asks."""
    qs = Field.objects.filter(status=Field.Status.NEEDS_REVIEW).exclude(
        document__status__in=BEING_READ
    )
    if document_type:
        qs = qs.filter(document__document_type__code=document_type)
    if kind:
        qs = qs.filter(spec__kind=kind)
    if reason:
        # Reasons are a JSON list of {"code": ...}; a text match on the code stays portable
        # across SQLite and PostgreSQL.
        qs = qs.filter(review_reasons__icontains=f'"code": "{reason}"')
    return qs.order_by("document__created_at", "document_id", "spec__order", "id")


def unclaimed(qs: QuerySet[Field]) -> QuerySet[Field]:
    now = timezone.now()
    return qs.filter(
        Q(claim__isnull=True)
        | Q(claim__locked_until__isnull=True)
        | Q(claim__locked_until__lte=now)
    )


def takeable(filters: dict[str, str], *, skipped: tuple[int, ...] = ()) -> int:
    """How many fields the filters select that a clerk could still take: nobody holds them and
    the clerk has not just skipped them."""
    return unclaimed(open_fields(**filters)).exclude(pk__in=skipped).count()


def held_by(user) -> QuerySet[Field]:
    return Field.objects.filter(
        status=Field.Status.NEEDS_REVIEW, claim__user=user, claim__locked_until__gt=timezone.now()
    )
