"""A document type edited as a whole (the visual type editor): a draft of its field specs and
layout, checked by the same validation as the admin's forms and saved in one transaction.

A draft is JSON::

    {"layout": {...DocumentType.layout...},
     "fields": [{"key", "label", "aliases", "kind", "required", "location", "cleaning", "rules",
                 "threshold", "region"}, ...]}

Fields are saved in the draft's order; a spec the draft leaves out is kept (its fields may hold
clerks' decisions), never deleted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import DocumentType, FieldSpec

SPEC_KEYS = ("key", "label", "kind", "required", "location", "cleaning", "rules")


class DraftError(ValueError):
    """The draft cannot be used; ``errors`` maps a field key (or "layout", "fields") to why."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class Draft:
    layout: dict[str, Any]
    specs: list[FieldSpec]  # unsaved rows (pk set where the key exists), in draft order


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def parse_draft(doc_type: DocumentType, data: Any) -> Draft:
    """The draft as unsaved FieldSpec rows, validated like the admin form; DraftError if not."""
    if not isinstance(data, Mapping) or not isinstance(data.get("fields"), list):
        raise DraftError({"fields": _('Send {"layout": {...}, "fields": [...]}.')})
    errors: dict[str, str] = {}
    layout = data.get("layout") or {}
    candidate = DocumentType(
        code=doc_type.code,
        name=doc_type.name,
        layout=layout,
        confidence_threshold=doc_type.confidence_threshold,
        second_check_rate=doc_type.second_check_rate,
        target_error_rate=doc_type.target_error_rate,
    )
    try:
        candidate.clean()
    except ValidationError as exc:
        errors["layout"] = _messages(exc)
    existing = {s.key: s for s in doc_type.fields.all()}
    specs: list[FieldSpec] = []
    seen: set[str] = set()
    for order, raw in enumerate(data["fields"]):
        if not isinstance(raw, Mapping):
            errors[f"fields[{order}]"] = _("Each field is an object.")
            continue
        key = str(raw.get("key") or "").strip()
        name = key or f"fields[{order}]"
        if key in seen:
            errors[f"fields[{order}]"] = _("Another field already has the key %(key)r.") % {
                "key": key
            }
            continue
        seen.add(key)
        spec = existing.get(key) or FieldSpec(document_type=doc_type)
        spec.key = key
        spec.label = str(raw.get("label") or "").strip()
        spec.label_aliases = [str(a) for a in raw.get("aliases") or [] if str(a).strip()]
        spec.kind = str(raw.get("kind") or "text")
        spec.required = bool(raw.get("required", True))
        spec.location = raw.get("location") or {}
        spec.cleaning = raw.get("cleaning") or []
        spec.rules = raw.get("rules") or {}
        threshold: Any = raw.get("threshold")
        try:
            spec.threshold = None if threshold in (None, "") else float(threshold)
        except (TypeError, ValueError):
            errors[name] = _("The threshold is a number between 0 and 1.")
            continue
        # The older page-relative region; the editor clears it when it places the field anew.
        spec.region = raw.get("region") or None
        spec.order = order
        try:
            spec.full_clean(exclude=["document_type"], validate_unique=False)
        except ValidationError as exc:
            errors[name] = _messages(exc)
        specs.append(spec)
    if errors:
        raise DraftError(errors)
    return Draft(layout=layout, specs=specs)


def save_draft(doc_type: DocumentType, draft: Draft) -> list[FieldSpec]:
    """Write the draft's layout and specs (update by key, create new ones) in one transaction."""
    with transaction.atomic():
        DocumentType.objects.filter(pk=doc_type.pk).update(layout=draft.layout)
        for spec in draft.specs:
            spec.document_type = doc_type
            spec.save()
    doc_type.refresh_from_db()
    return draft.specs


def draft_of(doc_type: DocumentType) -> dict[str, Any]:
    """The type as a draft, what the editor starts from."""
    return {
        "layout": doc_type.layout or {},
        "fields": [
            {
                **{k: getattr(s, k) for k in SPEC_KEYS},
                "aliases": s.label_aliases,
                "threshold": s.threshold,
                "region": s.region,
            }
            for s in doc_type.fields.all()
        ],
    }
