"""Writing a recognition result: pages, lines and fields in one transaction, human work kept.

A first run creates everything. A re-run updates in place: pages by index, lines replaced, and each
field by what happened to it since the last run:

- confirmed or corrected by a clerk: value, status and history stay; the new OCR reading is stored
  beside the human value (raw text, confidence, box), unless it found no box for the field and the
  old box still fits its page (the crop the clerk judged is kept), and is recorded as a
  ``field_reread`` event;
- held by a clerk right now (an active lease): not touched at all;
- anything else (auto-accepted, waiting for review): read again.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image

from documents import events, second_checks
from documents.models import HUMAN_DECIDED, Document, Field, Page, TextLine
from recognition.models import ModelVersion

from .reading import DocumentResult, FieldResult


def _page_file(image: Image.Image) -> ContentFile[bytes]:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=88, optimize=True)
    return ContentFile(buffer.getvalue())


def _ocr_reading(
    f: FieldResult, pages: list[Page], versions: Mapping[str, ModelVersion]
) -> dict[str, Any]:
    return {
        "page": pages[f.page] if f.page is not None else None,
        "box": list(f.box) if f.box else None,
        "raw_text": f.raw_text,
        "confidence": round(f.confidence, 4),
        "char_confidences": [round(c, 3) for c in f.char_confidences],
        "model_version": versions[f.model],
    }


def _routed(f: FieldResult) -> dict[str, Any]:
    return {
        "value": f.value,
        "normalized": f.normalized,
        "status": Field.Status.NEEDS_REVIEW if f.reasons else Field.Status.AUTO_ACCEPTED,
        "review_reasons": f.reasons,
    }


def store_result(
    document: Document,
    result: DocumentResult,
    versions: Mapping[str, ModelVersion],
    *,
    render_s: float,
    other_models: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Store ``result`` for ``document``; returns how many fields were created, read again, kept
    (human decision), left alone (leased) and drawn for a blind second check.

    ``other_models`` joins ``Document.model_versions`` beside the registered versions: readers
    that have no version row (the fast first reader, ``recognition.loader.used_models``)."""
    specs = {s.key: s for s in document.document_type.fields.all()}
    page_files = [_page_file(page.image) for page in result.pages]
    now = timezone.now()
    counts = {"created": 0, "refreshed": 0, "kept": 0, "leased": 0, "second_checks": 0}
    old_files: list[str] = []
    new_files: list[str] = []
    storage = Page.image.field.storage
    try:
        with transaction.atomic():
            pages, resized = _store_pages(document, result, page_files, old_files, new_files)
            _store_fields(document, result, pages, resized, specs, versions, counts, now)
            Document.objects.filter(pk=document.pk).update(
                page_count=len(pages),
                model_versions={
                    **{
                        k: {"id": v.pk, "sha256": v.sha256, "name": v.name}
                        for k, v in versions.items()
                    },
                    **(other_models or {}),
                },
                timings={**result.timings, "render_s": round(render_s, 3)},
            )
            counts["second_checks"] = second_checks.sample(document, versions)
    except BaseException:
        for name in filter(None, new_files):  # rolled back: these images belong to no row
            storage.delete(name)
        raise
    for name in old_files:
        if name:
            storage.delete(name)
    return counts


def _store_pages(
    document: Document,
    result: DocumentResult,
    page_files: list[ContentFile[bytes]],
    old_files: list[str],
    new_files: list[str],
) -> tuple[list[Page], set[int]]:
    """The page rows, by index, with this run's images; and the ids of pages whose size changed
    (a box read on the earlier render no longer points at the same place)."""
    existing_pages = {
        p.index: p for p in Page.objects.select_for_update().filter(document=document)
    }
    pages: list[Page] = []
    resized: set[int] = set()
    for index, (page, content) in enumerate(zip(result.pages, page_files)):
        row = existing_pages.pop(index, None) or Page(document=document, index=index)
        if row.image.name:
            old_files.append(row.image.name)
        if row.pk and (row.width, row.height) != (page.image.width, page.image.height):
            resized.add(row.pk)
        row.skew_angle = page.skew_angle
        row.width, row.height = page.image.width, page.image.height
        # A new name each run: on a store that overwrites (S3), deleting the old file afterwards
        # would otherwise delete the one just written.
        row.image.save(
            f"doc{document.pk}-p{index}-{uuid.uuid4().hex[:12]}.jpg", content, save=False
        )
        new_files.append(row.image.name or "")
        row.save()
        pages.append(row)
    for gone in existing_pages.values():
        old_files.append(gone.image.name or "")
        gone.delete()
    TextLine.objects.filter(page__document=document).delete()
    TextLine.objects.bulk_create(
        TextLine(
            page=pages[line.page],
            order=i,
            box=list(line.box),
            text=line.text,
            confidence=round(line.confidence, 4),
        )
        for page in result.pages
        for i, line in enumerate(page.lines)
    )
    return pages, resized


def _store_fields(
    document: Document,
    result: DocumentResult,
    pages: list[Page],
    resized: set[int],
    specs: Mapping[str, Any],
    versions: Mapping[str, ModelVersion],
    counts: dict[str, int],
    now: Any,
) -> None:
    fields = {
        f.spec.key: f
        for f in Field.objects.select_for_update().filter(document=document).select_related("spec")
    }
    leased = set(
        Field.objects.filter(document=document, claim__locked_until__gt=now).values_list(
            "pk", flat=True
        )
    )
    for f in result.fields:
        reading = _ocr_reading(f, pages, versions)
        held = fields.pop(f.key, None)
        if held is None:
            Field.objects.create(document=document, spec=specs[f.key], **reading, **_routed(f))
            counts["created"] += 1
        elif held.pk in leased:
            counts["leased"] += 1
        elif held.status in HUMAN_DECIDED:
            # The new reading joins the decision, unless it found no box for the field: the crop
            # the clerk judged (while its page keeps its size) is the evidence the corrections
            # export needs.
            if f.box is not None or not held.box or held.page_id in resized:
                Field.objects.filter(pk=held.pk).update(**reading, version=F("version") + 1)
            events.field_reread(held, raw_text=f.raw_text, confidence=f.confidence)
            counts["kept"] += 1
        else:
            Field.objects.filter(pk=held.pk).update(
                **reading, **_routed(f), version=F("version") + 1, updated_at=now
            )
            counts["refreshed"] += 1
    # Fields of specs the type no longer has: undecided ones go, decisions stay on record.
    Field.objects.filter(pk__in=[f.pk for f in fields.values()]).exclude(
        status__in=HUMAN_DECIDED
    ).exclude(pk__in=leased).delete()
