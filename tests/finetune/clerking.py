"""A scripted clerk: decides fields through reviews.services, exactly as the review page does."""

from __future__ import annotations

from collections import Counter

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
