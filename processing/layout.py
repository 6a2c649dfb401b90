"""The layout of a page as field location sees it (pure; no ORM): its frames (the page, the box
around its content, the outer border of its form table), the sections its anchors open
(购买方 / 销售方, 付款人 / 收款人) and which of a type's layout variants it is.

Frames let a region be given relative to the form rather than the paper, so page size, margins
and scan resolution do not move it; sections let two fields share a label (名称 in the buyer's
block and in the seller's).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from documents.rules.location import Layout, Variant

from .labels import label_match, whole_line_match
from .ocrlines import Box, OcrLine, gap, reading_order, union

# Lines that count for the content box: read with some confidence, more than a speck.
CONTENT_MIN_CONFIDENCE = 0.5
# A table border: horizontal rules at least this share of the page width, vertical ones of
# the table's height.
RULE_MIN_WIDTH = 0.4
RULE_MIN_HEIGHT = 0.3


def content_box(lines: Sequence[OcrLine], page: int, size: tuple[int, int]) -> Box:
    """The box around a page's text (logo specks and seal fragments read with low confidence left
    out); the whole page when it has none."""
    boxes = [
        line.box
        for line in lines
        if line.page == page
        and line.confidence >= CONTENT_MIN_CONFIDENCE
        and len(line.text.strip()) >= 2
    ]
    return union(boxes) if boxes else (0, 0, size[0], size[1])


def table_frame(gray: npt.NDArray[Any]) -> Box | None:
    """Outer border of the page's form table: the box spanned by its long horizontal rules and
    the vertical rules between them; None when the page has no such table."""
    h, w = gray.shape[:2]
    if h < 50 or w < 50:
        return None
    _, ink = cv2.threshold(gray.astype(np.uint8), 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(w * RULE_MIN_WIDTH), 1))
    )
    rows = np.flatnonzero(horizontal.max(axis=1))
    if len(rows) < 2 or rows[-1] - rows[0] < 0.1 * h:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    kernel_h = max(10, int((bottom - top) * RULE_MIN_HEIGHT))
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, kernel_h))
    )
    cols = np.flatnonzero(vertical[top : bottom + 1].max(axis=0))
    x_rule = np.flatnonzero(horizontal[top : bottom + 1].max(axis=0))
    left = int(min(cols[0] if len(cols) else w, x_rule[0]))
    right = int(max(cols[-1] if len(cols) else 0, x_rule[-1]))
    return (left, top, right, bottom) if right - left > 0.3 * w else None


def frames_of(
    lines: Sequence[OcrLine],
    page: int,
    size: tuple[int, int],
    found: Mapping[str, Box] | None = None,
) -> dict[str, Box]:
    """Every frame of one page: ``page``, ``content`` and ``table`` (the content box when no
    table border was found)."""
    content = content_box(lines, page, size)
    frames = {"page": (0, 0, size[0], size[1]), "content": content, "table": content}
    frames.update(found or {})
    return frames


def frame_box(frame: Box, box: tuple[float, float, float, float]) -> tuple[float, ...]:
    """A box in fractions of ``frame`` as page pixels."""
    fx0, fy0, fx1, fy1 = frame
    fw, fh = fx1 - fx0, fy1 - fy0
    x0, y0, x1, y1 = box
    return (fx0 + x0 * fw, fy0 + y0 * fh, fx0 + x1 * fw, fy0 + y1 * fh)


def _section_anchor(
    lines: Sequence[OcrLine], words: Sequence[str], scope: Sequence[int]
) -> int | None:
    """The line that reads one of ``words`` whole: the longest word, first in reading order."""
    best, best_len = None, 0
    for i in scope:
        length = whole_line_match(lines[i].text, words)
        if length > best_len:
            best, best_len = i, length
    return best


def sections_of(
    lines: Sequence[OcrLine], scope: Collection[int], sections: Mapping[str, Sequence[str]]
) -> dict[str, set[int]]:
    """The lines of each section whose anchor is on the page.

    A section opens at its anchor (a heading such as 销售方, or the first glyph of a vertical one
    such as 销) and holds the lines right of and below it that lie nearer to it than to any other
    section's anchor: the buyer's and the seller's blocks side by side (e-invoices) or one above
    the other (older VAT invoices) both come out right.
    """
    ordered = reading_order(lines, list(scope))
    anchors = {
        name: i
        for name, words in sections.items()
        if (i := _section_anchor(lines, words, ordered)) is not None
    }
    members: dict[str, set[int]] = {name: set() for name in anchors}
    for i in scope:
        line, best, best_gap = lines[i], None, float("inf")
        for name, a in anchors.items():
            anchor = lines[a]
            if i == a or anchor.page != line.page:
                continue
            h = anchor.height
            if line.box[0] < anchor.box[0] - h or line.centre[1] < anchor.box[1] - 1.5 * h:
                continue
            distance = gap(anchor.box, line.box)
            if distance < best_gap:
                best, best_gap = name, distance
        if best is not None:
            members[best].add(i)
    return members


def variant_of(lines: Sequence[OcrLine], scope: Collection[int], layout: Layout) -> str | None:
    """The layout variant with the most of its anchors on the page (the first declared wins a
    tie); None when the type declares none or no anchor is found."""
    best: tuple[int, Variant] | None = None
    for variant in layout.variants:
        found = sum(
            any(label_match(lines[i].text, (anchor,)) for i in scope) for anchor in variant.anchors
        )
        if found and (best is None or found > best[0]):
            best = (found, variant)
    return best[1].name if best else None
