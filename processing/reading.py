"""From page images to located, read and validated field values (no ORM; models passed in).

The heavy, pure-ish part of the pipeline: deskew, line finding, recognition of every line with
the general model, field location, numeric re-reading, rules. processing.run stores the result.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image

from documents.rules import REASON_MISSING, FieldContext, build_rules, needs_review, run_rules
from recognition.engine.charset import fold
from recognition.engine.lines import find_lines
from recognition.engine.preprocess import ImageError, crop_box, deskew
from recognition.engine.readers import LineReader

from .locate import Encoder, Located, OcrLine, SpecView, locate_fields


@dataclass(frozen=True)
class SpecInput:
    """What recognition needs of a FieldSpec row."""

    key: str
    label: str
    aliases: tuple[str, ...]
    kind: str
    region: dict | None
    required: bool
    rules: dict
    threshold: float
    numeric: bool


@dataclass
class FieldResult:
    key: str
    page: int | None
    box: tuple[int, int, int, int] | None
    raw_text: str
    value: str
    confidence: float
    char_confidences: tuple[float, ...]
    reasons: list[dict]
    model: str  # "numeric" or "general"
    method: str = ""


@dataclass
class PageResult:
    image: Image.Image  # deskewed page
    skew_angle: float
    lines: list[OcrLine] = field(default_factory=list)


@dataclass
class DocumentResult:
    pages: list[PageResult]
    fields: list[FieldResult]
    timings: dict[str, float]


_VALUE_STRIP = " :：;；,，|"


def read_pages(images: Sequence[Image.Image], general: LineReader) -> list[PageResult]:
    pages: list[PageResult] = []
    for index, image in enumerate(images):
        array, angle = deskew(np.asarray(image.convert("RGB"))[:, :, ::-1])
        page = PageResult(Image.fromarray(np.ascontiguousarray(array[:, :, ::-1])), angle)
        boxes = find_lines(array)
        crops = []
        for box in boxes:
            try:
                crops.append(crop_box(array, box.as_tuple()))
            except ImageError:
                crops.append(np.zeros((0, 0), np.uint8))
        for box, decoded in zip(boxes, general.recognize(crops, keep_scores=True)):
            page.lines.append(
                OcrLine(
                    index,
                    box.as_tuple(),
                    decoded.text,
                    decoded.confidence,
                    decoded.char_confidences,
                    decoded.char_spans,
                    decoded.log_probs,
                )
            )
        pages.append(page)
    return pages


def _reread_numeric(
    located: Located, page: PageResult, numeric: LineReader
) -> tuple[str, float, tuple]:
    array = np.asarray(page.image.convert("L"))
    try:
        crop = crop_box(array, located.box)
    except ImageError:
        return located.text, located.confidence, located.char_confidences
    decoded = numeric.recognize_one(crop)
    text = decoded.text.strip(_VALUE_STRIP)
    if not text:
        return located.text, 0.0, ()
    return text, decoded.confidence, decoded.char_confidences


def read_fields(
    pages: list[PageResult],
    specs: Sequence[SpecInput],
    numeric: LineReader,
    *,
    encode: Encoder | None = None,
    today: date | None = None,
) -> list[FieldResult]:
    lines = [line for page in pages for line in page.lines]
    sizes = [page.image.size for page in pages]
    located = locate_fields(
        [SpecView(s.key, s.label, s.aliases, s.region) for s in specs], lines, sizes, encode=encode
    )
    results: dict[str, FieldResult] = {}
    for spec in specs:
        loc = located.get(spec.key)
        if loc is None:
            results[spec.key] = FieldResult(spec.key, None, None, "", "", 0.0, (), [], "general")
            continue
        text, conf, confs, model = loc.text, loc.confidence, loc.char_confidences, "general"
        if spec.numeric:
            text, conf, confs = _reread_numeric(loc, pages[loc.page], numeric)
            model = "numeric"
        value = fold(text).strip(_VALUE_STRIP)
        results[spec.key] = FieldResult(
            spec.key, loc.page, loc.box, text, value, conf, confs, [], model, loc.method
        )
    values = {key: r.value for key, r in results.items()}
    for spec in specs:
        result = results[spec.key]
        result.reasons = route(
            spec, result.value, result.confidence, values, found=result.box is not None, today=today
        )
    return [results[s.key] for s in specs]


def route(
    spec: SpecInput,
    value: str,
    confidence: float,
    values: dict[str, str],
    *,
    found: bool,
    today: date | None = None,
) -> list[dict]:
    """Review reasons of one field value; an empty list means it can be accepted automatically."""
    if not found or not value:
        if spec.required:
            return [
                {
                    "code": REASON_MISSING,
                    "message": f"“{spec.label}” was not found on the document.",
                }
            ]
        return []
    ctx = FieldContext(kind=spec.kind, required=spec.required, other_values=values, today=today)
    outcome = run_rules(value, ctx, build_rules(spec.kind, spec.rules))
    return needs_review(confidence, spec.threshold, outcome)


def recognize_document(
    images: Sequence[Image.Image],
    specs: Sequence[SpecInput],
    *,
    general: LineReader,
    numeric: LineReader,
) -> DocumentResult:
    t0 = time.perf_counter()
    pages = read_pages(images, general)
    t1 = time.perf_counter()
    fields = read_fields(pages, specs, numeric, encode=general.charset.encode)
    t2 = time.perf_counter()
    return DocumentResult(
        pages, fields, {"read_pages_s": round(t1 - t0, 3), "fields_s": round(t2 - t1, 3)}
    )
