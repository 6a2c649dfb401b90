"""Find each field's value among the recognised lines of a document (pure; no ORM).

Two ways, per field spec: by **region** (the lines whose centre lies in a box given relative to the
page) or by **label anchor**: the line that starts with the field's label or an alias
("客户姓名：张伟" → 张伟), else the nearest line to the right of the label on the same row, else
the line just below it.

A label is first looked for in the lines' text (one OCR slip tolerated). When a line's scores are
available, a label the best-path reading garbled is still found by its CTC prefix probability
(:func:`recognition.engine.ctc.prefix_log_prob`): labels are a small, known vocabulary, so asking
"does this line start with 付款人账号?" is far more reliable than reading it blind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from recognition.engine.charset import fold
from recognition.engine.ctc import prefix_log_prob
from recognition.engine.metrics import edit_distance

Box = tuple[int, int, int, int]
_LABEL_NOISE = re.compile(r"[\s:：()（）\[\]【】*＊_]")
_LEADING_SEPARATORS = " :：;；,，.|"
_OPENING_BRACKETS = "(（[【"
# A spotted label needs this geometric-mean probability per character.
SPOT_MIN_CHAR_PROB = 0.5
Encoder = Callable[[str], list[int]]


@dataclass(frozen=True)
class OcrLine:
    page: int
    box: Box
    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    char_spans: tuple[tuple[float, float], ...] = ()  # fractions of the line's width
    log_probs: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class SpecView:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    region: dict | None = None


@dataclass(frozen=True)
class Located:
    page: int
    box: Box
    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    method: str = "label"
    source_lines: tuple[int, ...] = field(default=())


def label_key(text: str) -> str:
    return _LABEL_NOISE.sub("", fold(text))


def _label_match(line_text: str, labels: Sequence[str]) -> tuple[int, tuple[int, int]] | None:
    """(characters of ``line_text`` taken by the best-matching label, its score), or None.

    One OCR slip is tolerated in labels of four or more characters. The score ranks matches by
    characters matched, then exactness, so 收款人账号 read exactly beats 付款人账号 with one slip.
    """
    best: tuple[int, tuple[int, int]] | None = None
    for label in labels:
        key = label_key(label)
        if not key:
            continue
        consumed, matched = 0, ""
        for ch in line_text:
            if len(matched) >= len(key):
                break
            consumed += 1
            if not _LABEL_NOISE.match(ch):
                matched += ch
        if len(matched) != len(key):
            continue
        # Trailing label noise such as the ） of 金额（小写） is not part of the value; an opening
        # bracket may start one (a phone number's "(010)").
        consumed = _skip_label_noise(line_text, consumed)
        distance = edit_distance(matched, key)
        score = (len(key) - distance, -distance)
        if distance <= (1 if len(key) >= 4 else 0) and (best is None or score > best[1]):
            best = (consumed, score)
    return best


def _skip_label_noise(text: str, consumed: int) -> int:
    while (
        consumed < len(text)
        and _LABEL_NOISE.match(text[consumed])
        and text[consumed] not in _OPENING_BRACKETS
    ):
        consumed += 1
    return consumed


def _label_spotted(
    line: OcrLine, labels: Sequence[str], encode: Encoder
) -> tuple[int, tuple[int, int]] | None:
    """Like :func:`_label_match`, from the line's CTC scores instead of its best-path text.

    Spotted matches rank just below text matches with one slip.
    """
    if line.log_probs is None or not len(line.log_probs):
        return None
    best: tuple[float, int, int] | None = None  # (mean log-prob per char, end frame, key length)
    for label in labels:
        target_text = fold(label).replace(" ", "").rstrip(":")
        try:
            target = encode(target_text)
        except KeyError:
            continue
        if not target or line.log_probs[:, target[0]].max() < math.log(0.05):
            continue
        log_p, end = prefix_log_prob(line.log_probs, target)
        per_char = log_p / len(target)
        if per_char >= math.log(SPOT_MIN_CHAR_PROB) and (best is None or per_char > best[0]):
            best = (per_char, end, len(label_key(label)))
    if best is None:
        return None
    end_fraction = (best[1] + 1) / len(line.log_probs)
    consumed = sum(1 for start, _ in line.char_spans if start < end_fraction)
    return _skip_label_noise(line.text, consumed), (best[2] - 1, -2)


def _label_prefix(line_text: str, labels: Sequence[str]) -> int | None:
    """Characters of ``line_text`` taken by the best-matching label, tolerating one OCR slip."""
    match = _label_match(line_text, labels)
    return match[0] if match else None


def _sub_box(line: OcrLine, start: int) -> Box:
    """Box of the characters of ``line`` from ``start`` on (label cut away)."""
    x0, y0, x1, y1 = line.box
    if start <= 0 or start > len(line.char_spans):
        return line.box
    prev_end = line.char_spans[start - 1][1]
    first = line.char_spans[start][0] if start < len(line.char_spans) else prev_end
    cut = (prev_end + first) / 2
    return (int(x0 + cut * (x1 - x0)), y0, x1, y1)


def _value_from(line: OcrLine, start: int, index: int, method: str) -> Located:
    raw = line.text[start:]
    stripped = raw.lstrip(_LEADING_SEPARATORS)
    start += len(raw) - len(stripped)
    confs = line.char_confidences[start:] if line.char_confidences else ()
    return Located(
        page=line.page,
        box=_sub_box(line, start),
        text=stripped.strip(),
        confidence=min(confs) if confs else line.confidence,
        char_confidences=tuple(confs),
        method=method,
        source_lines=(index,),
    )


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _right_of(label: OcrLine, lines: Sequence[OcrLine], taken: set[int], page_w: int) -> int | None:
    lx0, ly0, lx1, ly1 = label.box
    height = ly1 - ly0
    best, best_gap = None, 0.45 * page_w
    for i, line in enumerate(lines):
        if i in taken or line.page != label.page:
            continue
        x0, y0, x1, y1 = line.box
        if x0 < lx1 - height * 0.5 or _overlap(ly0, ly1, y0, y1) < 0.5 * min(height, y1 - y0):
            continue
        gap = x0 - lx1
        if gap < best_gap:
            best, best_gap = i, gap
    return best


def _below(label: OcrLine, lines: Sequence[OcrLine], taken: set[int]) -> int | None:
    lx0, ly0, lx1, ly1 = label.box
    height = ly1 - ly0
    best, best_gap = None, 2.5 * height
    for i, line in enumerate(lines):
        if i in taken or line.page != label.page:
            continue
        x0, y0, x1, y1 = line.box
        if y0 < ly1 - height * 0.3 or _overlap(lx0, lx1, x0, x1) <= 0:
            continue
        gap = y0 - ly1
        if gap < best_gap:
            best, best_gap = i, gap
    return best


def _in_region(
    spec: SpecView, lines: Sequence[OcrLine], page_sizes: Sequence[tuple[int, int]]
) -> Located | None:
    region = spec.region or {}
    page = int(region.get("page", 0))
    if page >= len(page_sizes):
        return None
    w, h = page_sizes[page]
    rx0, ry0, rx1, ry1 = region["box"]
    chosen = [
        (i, line)
        for i, line in enumerate(lines)
        if line.page == page
        and rx0 * w <= (line.box[0] + line.box[2]) / 2 <= rx1 * w
        and ry0 * h <= (line.box[1] + line.box[3]) / 2 <= ry1 * h
    ]
    if not chosen:
        return None
    parts = []
    for i, line in chosen:
        start = _label_prefix(line.text, (spec.label, *spec.aliases)) or 0
        parts.append(_value_from(line, start, i, "region"))
    parts = [p for p in parts if p.text]
    if not parts:
        return None
    box = (
        min(p.box[0] for p in parts),
        min(p.box[1] for p in parts),
        max(p.box[2] for p in parts),
        max(p.box[3] for p in parts),
    )
    confs = tuple(c for p in parts for c in p.char_confidences)
    return Located(
        page=page,
        box=box,
        text=" ".join(p.text for p in parts),
        confidence=min(p.confidence for p in parts),
        char_confidences=confs,
        method="region",
        source_lines=tuple(i for p in parts for i in p.source_lines),
    )


def locate_fields(
    specs: Sequence[SpecView],
    lines: Sequence[OcrLine],
    page_sizes: Sequence[tuple[int, int]],
    *,
    encode: Encoder | None = None,
) -> dict[str, Located | None]:
    """Value location of every spec; None where the field could not be found.

    ``encode`` (the general model's charset encoder) enables label spotting on lines that carry
    their CTC scores.
    """
    found: dict[str, Located | None] = {}
    # Each line anchors at most one label: the spec whose label it matches best (most characters,
    # then exactly rather than with a slip).
    anchors: dict[int, tuple[tuple[int, int], str, int]] = {}
    for spec in specs:
        if spec.region:
            continue
        labels = (spec.label, *spec.aliases)
        for i, line in enumerate(lines):
            match = _label_match(line.text, labels)
            if match is not None and (i not in anchors or anchors[i][0] < match[1]):
                anchors[i] = (match[1], spec.key, match[0])
        if encode is not None and not any(a[1] == spec.key for a in anchors.values()):
            for i, line in enumerate(lines):
                match = None if i in anchors else _label_spotted(line, labels, encode)
                if match is not None:
                    anchors[i] = (match[1], spec.key, match[0])
    anchor_of: dict[str, tuple[int, int]] = {}
    for i, (_, key, consumed) in sorted(anchors.items()):
        anchor_of.setdefault(key, (i, consumed))
    taken = set(anchors)
    for spec in specs:
        if spec.region:
            found[spec.key] = _in_region(spec, lines, page_sizes)
            continue
        if spec.key not in anchor_of:
            found[spec.key] = None
            continue
        i, consumed = anchor_of[spec.key]
        line = lines[i]
        value = _value_from(line, consumed, i, "label_inline")
        if value.text:
            found[spec.key] = value
            continue
        page_w = page_sizes[line.page][0] if line.page < len(page_sizes) else 10**6
        j = _right_of(line, lines, taken, page_w)
        method = "label_right"
        if j is None:
            j, method = _below(line, lines, taken), "label_below"
        if j is None:
            found[spec.key] = None
            continue
        taken.add(j)
        found[spec.key] = _value_from(lines[j], 0, j, method)
    return found
