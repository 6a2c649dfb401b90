"""From page images to located, read and validated field values (no ORM; models passed in).

The heavy, pure-ish part of the pipeline: deskew, line finding, recognition of every line with
the general model, field location, numeric re-reading, cleaning, rules. processing.run stores
the result: the raw reading, the cleaned value the rules checked, and its normalised form.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image

from documents.rules import (
    REASON_MISSING,
    FieldContext,
    RuleOutcome,
    build_rules,
    messages,
    needs_review,
    run_rules,
)
from documents.rules.cleaning import clean_value
from documents.rules.location import Layout, parse_layout, parse_location
from documents.rules.messages import reason
from recognition.engine.ctc import Decoded, KeepScores
from recognition.engine.ink import read_around_seal
from recognition.engine.lines import LineBox, find_lines
from recognition.engine.ppocr.cascade import CascadeReader
from recognition.engine.preprocess import ImageError, crop_box, deskew
from recognition.engine.readers import LineReader

from .labels import spotting_scores
from .layout import table_frame
from .locate import Encoder, Located, OcrLine, SpecView, locate_fields
from .ocrlines import Box
from .page_arrays import PageArrays
from .seals import read_values_around_seals, value_lines


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
    location: dict | None = None  # FieldSpec.location
    cleaning: list | None = None  # FieldSpec.cleaning


@dataclass
class FieldResult:
    key: str
    page: int | None
    box: tuple[int, int, int, int] | None
    raw_text: str  # as read
    value: str  # cleaned: what the rules checked
    confidence: float  # of the cleaned value's characters
    char_confidences: tuple[float, ...]
    reasons: list[dict]
    model: str  # "numeric" or "general"
    method: str = ""
    normalized: str = ""  # the rules' canonical form of the value


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
# A page array in, its line boxes in reading order out (recognition.loader.line_finder).
LineFinder = Callable[[np.ndarray], list[LineBox]]


def read_pages(
    images: Sequence[Image.Image],
    general: LineReader,
    find: LineFinder = find_lines,
    *,
    keep_scores: KeepScores = True,
) -> list[PageResult]:
    pages: list[PageResult] = []
    for index, image in enumerate(images):
        array, angle = deskew(np.asarray(image.convert("RGB"))[:, :, ::-1])
        page = PageResult(Image.fromarray(np.ascontiguousarray(array[:, :, ::-1])), angle)
        boxes = find(array)
        crops = []
        for box in boxes:
            try:
                crops.append(crop_box(array, box.as_tuple()))
            except ImageError:
                crops.append(np.zeros((0, 0), np.uint8))
        for box, decoded in zip(boxes, general.recognize(crops, keep_scores=keep_scores)):
            page.lines.append(_line(index, box.as_tuple(), decoded))
        pages.append(page)
    return pages


def _line(page: int, box: Box, decoded: Decoded) -> OcrLine:
    return OcrLine(
        page,
        box,
        decoded.text,
        decoded.confidence,
        decoded.char_confidences,
        decoded.char_spans,
        decoded.log_probs,
        decoded.provisional,
    )


def confirm_values(
    pages: list[PageResult],
    located: Mapping[str, Located | None],
    specs: Sequence[SpecInput],
    accurate: LineReader,
    *,
    keep_scores: KeepScores = False,
    arrays: PageArrays | None = None,
) -> int:
    """Have ``accurate`` read again each provisional line (kept by the fast first reader) that a
    non-numeric field's value comes from, in place; returns how many lines it read.

    The fast reader is trusted to find labels and layout; a value that may be accepted without a
    person rests on the accurate model's reading and confidence (numeric values are re-read from
    their value box anyway). Measured on real receipts: the fine-tuned tiny read "DOMMAL FOOD" as
    "Dommal Fooc" at 0.98, which the receipt's company field then accepted; the general model is
    unsure of that line, so the field now goes to review.
    """
    wanted = value_lines(pages, located, specs, lambda _n, line: line.provisional)
    if not wanted:
        return 0
    arrays = arrays if arrays is not None else PageArrays(pages)
    crops = []
    for _n, p, i in wanted:
        try:
            crops.append(crop_box(arrays.bgr(p), pages[p].lines[i].box))
        except ImageError:
            crops.append(np.zeros((0, 0), np.uint8))
    for (_n, p, i), decoded in zip(wanted, accurate.recognize(crops, keep_scores=keep_scores)):
        pages[p].lines[i] = _line(p, pages[p].lines[i].box, decoded)
    return len(wanted)


def _reread_numeric(
    located: Located, arrays: PageArrays, numeric: LineReader
) -> tuple[str, float, tuple]:
    try:
        crop = crop_box(arrays.gray(located.page), located.box)
    except ImageError:  # the value's line reading stands, for a person to check
        return located.text, 0.0, ()
    decoded = read_around_seal(
        numeric,
        numeric.recognize_one(crop),
        lambda: crop_box(arrays.bgr(located.page), located.box),
    )
    text = decoded.text.strip(_VALUE_STRIP)
    if not text:
        return located.text, 0.0, ()
    return text, decoded.confidence, decoded.char_confidences


def _frames(
    pages: list[PageResult], arrays: PageArrays, layout: Layout, views: Sequence[SpecView]
) -> list[dict]:
    """Per page, the outer border of its form table, where a region is given relative to it."""
    frames = {
        (loc.region.frame or layout.frame)
        for view in views
        for loc in view.location.every()
        if loc.by == "region" and loc.region is not None
    }
    if "table" not in frames:
        return [{} for _ in pages]
    out: list[dict[str, Box]] = []
    for p in range(len(pages)):
        frame = table_frame(arrays.gray(p))
        out.append({"table": frame} if frame else {})
    return out


def _clean(spec: SpecInput, loc: Located, arrays: PageArrays, numeric: LineReader) -> FieldResult:
    text, conf, confs, model = loc.text, loc.confidence, loc.char_confidences, "general"
    if spec.numeric:
        text, conf, confs = _reread_numeric(loc, arrays, numeric)
        model = "numeric"
    cleaned = clean_value(
        text.strip(_VALUE_STRIP),
        confs[len(text) - len(text.lstrip(_VALUE_STRIP)) :] if confs else (),
        spec.kind,
        spec.cleaning,
        labels=(spec.label, *spec.aliases),
        default_confidence=conf,
    )
    if cleaned.char_confidences and cleaned.text != text:
        # The cleaned value's own characters decide, not a stripped ¥ or ⊗.
        conf = min(cleaned.char_confidences)
    return FieldResult(
        spec.key,
        loc.page,
        loc.box,
        text,
        cleaned.text,
        conf,
        cleaned.char_confidences or tuple(confs),
        [],
        model,
        loc.method,
    )


def read_fields(
    pages: list[PageResult],
    specs: Sequence[SpecInput],
    numeric: LineReader,
    *,
    encode: Encoder | None = None,
    today: date | None = None,
    layout: dict | None = None,
    accurate: LineReader | None = None,
    keep_scores: KeepScores = False,
) -> list[FieldResult]:
    """Locate, read, clean and check every field. With ``accurate`` (the model behind a fast first
    reader, or the page's reader itself), the provisional lines values come from are read again
    first (``confirm_values``) and the stamped ones it was unsure of without their red ink
    (``seals``), keeping the scores the page's lines kept (``keep_scores``: label spotting reads
    them)."""
    sizes = [page.image.size for page in pages]
    parsed = parse_layout(layout)
    views = [
        SpecView(s.key, s.label, s.aliases, s.region, parse_location(s.location or None))
        for s in specs
    ]
    arrays = PageArrays(pages)
    frames = _frames(pages, arrays, parsed, views)

    def locate() -> dict[str, Located | None]:
        lines = [line for page in pages for line in page.lines]
        return locate_fields(views, lines, sizes, encode=encode, layout=parsed, frames=frames)

    located = locate()
    # Each pass reads at least one line again (a provisional one, or a stamped one once); a new
    # reading can move a value onto another line.
    tried: set[int] = set()
    while accurate is not None and (
        confirm_values(pages, located, specs, accurate, keep_scores=keep_scores, arrays=arrays)
        or read_values_around_seals(
            pages, located, specs, accurate, done=tried, keep_scores=keep_scores, arrays=arrays
        )
    ):
        located = locate()
    results: dict[str, FieldResult] = {}
    for spec in specs:
        loc = located.get(spec.key)
        if loc is None:
            results[spec.key] = FieldResult(spec.key, None, None, "", "", 0.0, (), [], "general")
        else:
            results[spec.key] = _clean(spec, loc, arrays, numeric)
    values = {key: r.value for key, r in results.items()}
    for spec in specs:
        result = results[spec.key]
        result.reasons, outcome = check(
            spec, result.value, result.confidence, values, found=result.box is not None, today=today
        )
        result.normalized = outcome.normalized if outcome else result.value
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
    return check(spec, value, confidence, values, found=found, today=today)[0]


def check(
    spec: SpecInput,
    value: str,
    confidence: float,
    values: dict[str, str],
    *,
    found: bool,
    today: date | None = None,
) -> tuple[list[dict], RuleOutcome | None]:
    """Review reasons of one field value and the rules' outcome (None for a missing value)."""
    if not found or not value:
        if spec.required:
            return [reason(REASON_MISSING, messages.NOT_FOUND, {"label": spec.label})], None
        return [], None
    ctx = FieldContext(kind=spec.kind, required=spec.required, other_values=values, today=today)
    outcome = run_rules(value, ctx, build_rules(spec.kind, spec.rules))
    return needs_review(confidence, spec.threshold, outcome), outcome


def recognize_document(
    images: Sequence[Image.Image],
    specs: Sequence[SpecInput],
    *,
    general: LineReader,
    numeric: LineReader,
    layout: dict | None = None,
    find: LineFinder = find_lines,
) -> DocumentResult:
    t0 = time.perf_counter()
    labels = [label for spec in specs for label in (spec.label, *spec.aliases)]
    classes, encode = spotting_scores(labels, general.charset)
    pages = read_pages(images, general, find, keep_scores=classes)
    t1 = time.perf_counter()
    accurate = general.accurate if isinstance(general, CascadeReader) else general
    fields = read_fields(
        pages,
        specs,
        numeric,
        encode=encode,
        layout=layout,
        accurate=accurate,
        keep_scores=classes,
    )
    t2 = time.perf_counter()
    return DocumentResult(
        pages, fields, {"read_pages_s": round(t1 - t0, 3), "fields_s": round(t2 - t1, 3)}
    )
