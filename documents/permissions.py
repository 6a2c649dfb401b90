"""Who sees which documents (roles themselves are in ocr_review.roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ocr_review.roles import is_clerk

from .models import Document


def documents_for(user: Any) -> QuerySet[Document]:
    """Clerks and supervisors work on the bank's whole intake; anyone else sees nothing."""
    if is_clerk(user):
        return Document.objects.all()
    return Document.objects.none()
