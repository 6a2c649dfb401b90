"""A scripted clerk: decides fields through reviews.services, exactly as the review page does."""

from __future__ import annotations

import io
from collections import Counter

from demo.render import Bill
from documents import services as intake
from documents.models import Document, Field
from reviews import services
from reviews.exceptions import RulesStillFail


def decide(field: Field, clerk, value: str) -> services.Decision:
    """Claim and decide one field; a value that still breaks a rule (a cross-field rule against a
    neighbour that was misread) is saved with a reason, as a clerk would."""
    services.claim(field.pk, clerk)
    field.refresh_from_db()
    try:
        return services.decide(field.pk, clerk, value, version=field.version, seconds=4.2)
    except RulesStillFail:
        return services.decide(
            field.pk,
            clerk,
            value,
            version=field.version,
            seconds=6.0,
            override_reason="value checked against the paper bill",
        )


def review_document(document: Document, clerk, truth: dict[str, str]) -> Counter:
    """Decide every field of ``document`` under review with its true value; counts by outcome."""
    outcomes: Counter = Counter()
    fields = document.fields.filter(status=Field.Status.NEEDS_REVIEW).select_related("spec")
    for field in fields.order_by("spec__order"):
        outcomes[decide(field, clerk, truth[field.spec.key]).status] += 1
    return outcomes


def recognised(bill: Bill, document_type: str, capture) -> Document:
    """Upload a rendered bill as a PNG and let recognition run (``capture``: pytest-django's
    django_capture_on_commit_callbacks, so the queued task runs inline)."""
    buffer = io.BytesIO()
    bill.image.save(buffer, "PNG")
    with capture(execute=True):
        result = intake.ingest(
            buffer.getvalue(), name=f"{document_type}-{bill.seed}.png", document_type=document_type
        )
    document = result.document
    document.refresh_from_db()
    return document
