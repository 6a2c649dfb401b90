"""Recognised lines and located values, and the geometry and text cutting shared by the locating
modules (pure; no ORM)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

Box = tuple[int, int, int, int]
LEADING_SEPARATORS = " :：;；,，.|"


@dataclass(frozen=True)
class OcrLine:
    page: int
    box: Box
    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    char_spans: tuple[tuple[float, float], ...] = ()  # fractions of the line's width
    log_probs: np.ndarray | None = field(default=None, compare=False, repr=False)
    provisional: bool = False  # read by the fast first reader alone (ppocr.cascade)

    @property
    def height(self) -> int:
        return max(1, self.box[3] - self.box[1])

    @property
    def centre(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return (x0 + x1) / 2, (y0 + y1) / 2


@dataclass(frozen=True)
class Located:
    page: int
    box: Box
    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    method: str = "label"
    source_lines: tuple[int, ...] = field(default=())
    # Page x-range of each character of ``text`` ((-1, -1) for a joint between two lines).
    char_xs: tuple[tuple[int, int], ...] = field(default=(), compare=False, repr=False)


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def same_row(a: Box, b: Box, share: float = 0.5) -> bool:
    """The two boxes share at least ``share`` of the lower one's height."""
    return overlap(a[1], a[3], b[1], b[3]) >= share * min(a[3] - a[1], b[3] - b[1])


def gap(a: Box, b: Box) -> float:
    """Euclidean distance between two boxes (0 when they touch or overlap)."""
    dx = max(0, b[0] - a[2], a[0] - b[2])
    dy = max(0, b[1] - a[3], a[1] - b[3])
    return float((dx * dx + dy * dy) ** 0.5)


def union(boxes: Sequence[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def char_x(line: OcrLine, i: int) -> tuple[float, float]:
    """Page x-range of character ``i`` (spread evenly when the reader gave no positions)."""
    x0, _, x1, _ = line.box
    n = len(line.text)
    if len(line.char_spans) == n and n:
        s, e = line.char_spans[i]
    else:
        s, e = i / max(1, n), (i + 1) / max(1, n)
    return x0 + s * (x1 - x0), x0 + e * (x1 - x0)


def piece(line: OcrLine, index: int, start: int, end: int, method: str) -> Located | None:
    """Characters ``start:end`` of ``line`` as a value: separators trimmed, box and confidence
    the value's own (the label's characters cut off by their positions)."""
    text = line.text
    while start < end and text[start] in LEADING_SEPARATORS:
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    confs = line.char_confidences[start:end] if line.char_confidences else ()
    x0, y0, x1, y1 = line.box
    if start > 0:
        prev_end, first = char_x(line, start - 1)[1], char_x(line, start)[0]
        x0 = int((prev_end + first) / 2)
    if end < len(text):
        last, nxt = char_x(line, end - 1)[1], char_x(line, end)[0]
        x1 = int((last + nxt) / 2)
    return Located(
        page=line.page,
        box=(x0, y0, x1, y1),
        text=text[start:end],
        confidence=min(confs) if confs else line.confidence,
        char_confidences=tuple(confs),
        method=method,
        source_lines=(index,),
        char_xs=tuple((int(a), int(b)) for a, b in (char_x(line, i) for i in range(start, end))),
    )


def clip(line: OcrLine, index: int, x0: float, x1: float, method: str) -> Located | None:
    """The characters of ``line`` whose centre lies between x0 and x1."""
    inside = [i for i in range(len(line.text)) if x0 <= sum(char_x(line, i)) / 2 <= x1]
    if not inside:
        return None
    return piece(line, index, inside[0], inside[-1] + 1, method)


def join(parts: Sequence[Located], method: str, sep: str = " ") -> Located | None:
    """Several located pieces as one value, in the given order, ``sep`` between them."""
    parts = [p for p in parts if p.text]
    if not parts:
        return None
    if len(parts) == 1:
        return replace(parts[0], method=method)
    confs: list[float] = []
    xs: list[tuple[int, int]] = []
    for n, p in enumerate(parts):
        if n and sep:
            # The joint is as sure as the less sure of its neighbours.
            confs += [min(confs[-1:] + list(p.char_confidences[:1]))] * len(sep)
            xs += [(-1, -1)] * len(sep)
        confs += p.char_confidences or [p.confidence] * len(p.text)
        xs += p.char_xs or [(-1, -1)] * len(p.text)
    return Located(
        page=parts[0].page,
        box=union([p.box for p in parts]),
        text=sep.join(p.text for p in parts),
        confidence=min(p.confidence for p in parts),
        char_confidences=tuple(confs),
        method=method,
        source_lines=tuple(i for p in parts for i in p.source_lines),
        char_xs=tuple(xs),
    )


def narrow(found: Located, start: int, end: int) -> Located | None:
    """Characters ``start:end`` of a located value, with their own box where it is known."""
    text = found.text[start:end].strip()
    if not text:
        return None
    lead = len(found.text[start:end]) - len(found.text[start:end].lstrip())
    start, end = start + lead, start + lead + len(text)
    confs = found.char_confidences[start:end] if found.char_confidences else ()
    xs = [x for x in found.char_xs[start:end] if x[0] >= 0]
    box = found.box
    if xs and len(found.source_lines) == 1:
        box = (min(a for a, _ in xs), box[1], max(b for _, b in xs), box[3])
    return replace(
        found,
        box=box,
        text=text,
        confidence=min(confs) if confs else found.confidence,
        char_confidences=tuple(confs),
        char_xs=found.char_xs[start:end],
    )


def reading_order(lines: Sequence[OcrLine], indices: Sequence[int]) -> list[int]:
    """Indices sorted page by page, top row first, left to right within a row (a line joins the
    row of the line before it when their boxes share half a line height)."""
    ordered = sorted(indices, key=lambda i: (lines[i].page, lines[i].centre[1]))
    rows: list[list[int]] = []
    for i in ordered:
        last = rows[-1][0] if rows else None
        if (
            last is not None
            and lines[last].page == lines[i].page
            and same_row(lines[last].box, lines[i].box)
        ):
            rows[-1].append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda j: lines[j].box[0])]
