"""A document type's draft tried on stored documents, for the visual type editor: where each field
would be found and what it would hold, from the lines recognition stored.

No model runs: the value is cut from the stored line readings, cleaned and checked exactly as in
recognition, but a numeric field is not read again from its value box (a re-run does that), so a
preview can differ from a real run by that re-reading only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PIL import Image

from documents.models import Document, DocumentType, FieldSpec, Page
from documents.reasons import localized

from .layout import content_box
from .ocrlines import OcrLine
from .reading import PageResult, SpecInput, read_fields


class _NoReader:
    """Stands in for the numeric model: preview specs never ask it to read."""

    def recognize_one(self, crop: Any) -> Any:  # pragma: no cover - never called
        raise AssertionError("a preview reads no image")


def stored_pages(document: Document) -> list[PageResult]:
    pages = []
    for page in document.pages.prefetch_related("lines").order_by("index"):
        with page.image.open("rb") as fh:
            image = Image.open(fh)
            image.load()
        lines = [
            OcrLine(page.index, tuple(line.box), line.text, line.confidence)
            for line in page.lines.all()
        ]
        pages.append(PageResult(image=image, skew_angle=page.skew_angle, lines=lines))
    return pages


def _inputs(doc_type: DocumentType, specs: Sequence[FieldSpec]) -> list[SpecInput]:
    return [
        SpecInput(
            key=s.key,
            label=s.label,
            aliases=tuple(s.label_aliases or ()),
            kind=s.kind,
            region=s.region,
            required=s.required,
            rules=s.rules or {},
            threshold=s.threshold if s.threshold is not None else doc_type.confidence_threshold,
            numeric=False,
            location=s.location or None,
            cleaning=s.cleaning or None,
        )
        for s in specs
    ]


def preview(
    document: Document, doc_type: DocumentType, specs: Sequence[FieldSpec], layout: dict
) -> list[dict[str, Any]]:
    """Per spec: the value, raw text, normalised value, page, box, how it was found and the
    review reasons (in the active language) it would get."""
    pages = stored_pages(document)
    results = read_fields(pages, _inputs(doc_type, specs), _NoReader(), layout=layout)  # type: ignore[arg-type]
    return [
        {
            "key": r.key,
            "value": r.value,
            "raw_text": r.raw_text,
            "normalized": r.normalized,
            "page": r.page,
            "box": list(r.box) if r.box else None,
            "method": r.method,
            "reasons": localized(r.reasons),
        }
        for r in results
    ]


def page_frame(page: Page) -> list[int]:
    """The content box of a stored page (what regions the editor draws are fractions of)."""
    lines = [OcrLine(0, tuple(line.box), line.text, line.confidence) for line in page.lines.all()]
    return list(content_box(lines, 0, (page.width, page.height)))
