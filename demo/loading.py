"""Puts the demo document types into the database (idempotent)."""

from __future__ import annotations

from django.db import transaction

from documents.models import DocumentType, FieldSpec

from .types import DEMO_TYPES


def load_document_types() -> list[DocumentType]:
    """Create or update the demo document types and their field specs (idempotent)."""
    out = []
    with transaction.atomic():
        for spec in DEMO_TYPES:
            doc_type, _ = DocumentType.objects.update_or_create(
                code=spec["code"],
                defaults={
                    "name": spec["name"],
                    "description": spec["description"],
                    "confidence_threshold": spec["confidence_threshold"],
                    "active": True,
                },
            )
            for field in spec["fields"]:
                values = {k: v for k, v in field.items() if k != "key"}
                FieldSpec.objects.update_or_create(
                    document_type=doc_type, key=field["key"], defaults=values
                )
            out.append(doc_type)
    return out
