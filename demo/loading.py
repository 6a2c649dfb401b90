"""Puts the demo document types into the database (idempotent)."""

from __future__ import annotations

from documents.models import DocumentType
from documents.shipped_types import install_types

from .types import DEMO_TYPES


def load_document_types() -> list[DocumentType]:
    """Create or update the demo document types and their field specs (idempotent)."""
    return install_types(DEMO_TYPES)
