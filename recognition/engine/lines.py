"""Text line finding on whole pages with OpenCV (pure): boxes in reading order.

Binarise, remove table rulings, estimate the character height from connected components, smear
ink along the text direction by a fraction of that height, take connected blobs as line pieces,
split blobs that hold two lines, merge pieces of one line, then sort into reading order. Gaps wider
than about one character height separate boxes, so label and value cells, table columns and
receipt price columns come out as separate lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .preprocess import to_gray

# Smear and merge gaps, minimum blob area and height, in character heights: chosen by
# bench/line_recall.py on the shared sample pages.
GAP, MERGE, AREA, MINH = 1.2, 1.8, 0.05, 0.3


@dataclass(frozen=True)
class LineBox:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)


def _ink(gray: np.ndarray) -> np.ndarray:
    """255 where there is ink: adaptive threshold, robust to uneven light and coloured paper."""
    block = max(15, (min(gray.shape) // 40) | 1)
    ink = cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, 12
    )
    if ink.mean() > 127:  # light text on a dark page
        ink = 255 - ink
    return ink


def _remove_rulings(ink: np.ndarray, char_h: float) -> np.ndarray:
    long_side = max(25, int(char_h * 4))
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (long_side, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, long_side))
    )
    rulings = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    return cv2.bitwise_and(ink, cv2.bitwise_not(rulings))


def _char_height(ink: np.ndarray) -> float:
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    keep = (heights >= 6) & (heights <= ink.shape[0] / 8) & (widths <= heights * 4)
    if n <= 1 or not keep.any():
        return 16.0
    # Upper-middle of the distribution: CJK characters split into radicals and Latin punctuation
    # pull the plain median down.
    return float(np.percentile(heights[keep], 70))


def _split_tall(box: tuple[int, int, int, int], ink: np.ndarray, char_h: float) -> list[tuple]:
    """Cut a blob holding several touching lines at the valleys of its row profile."""
    x0, y0, x1, y1 = box
    if y1 - y0 < 1.6 * char_h:
        return [box]
    profile = ink[y0:y1, x0:x1].sum(axis=1) / 255.0
    k = max(1, int(char_h * 0.2))
    smooth = np.convolve(profile, np.ones(k) / k, mode="same")
    level = float(np.median(smooth[smooth > 0])) if (smooth > 0).any() else 0.0
    candidates = [
        i
        for i in range(1, len(smooth) - 1)
        if smooth[i] <= smooth[i - 1]
        and smooth[i] <= smooth[i + 1]
        and smooth[i] < 0.35 * level
        and 0.5 * char_h <= i <= len(smooth) - 0.5 * char_h
    ]
    cuts: list[int] = []
    for i in sorted(candidates, key=lambda c: smooth[c]):
        if all(abs(i - c) >= 0.6 * char_h for c in cuts):
            cuts.append(i)
    bounds = [0, *sorted(cuts), len(smooth)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        rows = np.nonzero(ink[y0 + a : y0 + b, x0:x1].any(axis=1))[0]
        if len(rows):
            out.append((x0, y0 + a + int(rows[0]), x1, y0 + a + int(rows[-1]) + 1))
    return out or [box]


def _tighten(box: tuple[int, int, int, int], ink: np.ndarray) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = box
    patch = ink[y0:y1, x0:x1]
    cols = np.nonzero(patch.any(axis=0))[0]
    rows = np.nonzero(patch.any(axis=1))[0]
    if not len(cols) or not len(rows):
        return None
    return (x0 + int(cols[0]), y0 + int(rows[0]), x0 + int(cols[-1]) + 1, y0 + int(rows[-1]) + 1)


def _merge_same_row(boxes: list[tuple], char_h: float) -> list[tuple]:
    """Join pieces of one line: vertically overlapping and closer than ~1.2 character heights."""
    boxes = sorted(boxes, key=lambda b: b[0])
    merged: list[list[int]] = []
    for box in boxes:
        for m in merged:
            overlap = min(m[3], box[3]) - max(m[1], box[1])
            h = min(m[3] - m[1], box[3] - box[1])
            if (
                overlap > 0.6 * h
                and box[0] - m[2] < MERGE * char_h
                and abs((m[3] - m[1]) - (box[3] - box[1])) < 1.2 * char_h
            ):
                m[0], m[1] = min(m[0], box[0]), min(m[1], box[1])
                m[2], m[3] = max(m[2], box[2]), max(m[3], box[3])
                break
        else:
            merged.append(list(box))
    return [tuple(m) for m in merged]


def reading_order(boxes: Sequence[LineBox]) -> list[LineBox]:
    """Top to bottom by rows (boxes whose vertical centres fall within half a line), then left to
    right within a row."""
    rows: list[list[LineBox]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        centre = (box.y0 + box.y1) / 2
        if rows:
            last = rows[-1]
            ref = sum((b.y0 + b.y1) / 2 for b in last) / len(last)
            height = sum(b.height for b in last) / len(last)
            if abs(centre - ref) < 0.5 * max(height, box.height):
                last.append(box)
                continue
        rows.append([box])
    return [box for row in rows for box in sorted(row, key=lambda b: b.x0)]


def find_lines(
    page: np.ndarray, *, min_height: int = 6, max_height: int | None = None
) -> list[LineBox]:
    """Text line boxes of a page (gray or colour array) in reading order; [] for a blank page."""
    gray = to_gray(page)
    h, w = gray.shape
    if h < min_height or w < min_height:
        return []
    ink = _ink(gray)
    char_h = _char_height(ink)
    ink = _remove_rulings(ink, char_h)
    char_h = _char_height(ink)
    gap = max(3, int(round(char_h * GAP)))
    smear = cv2.morphologyEx(
        ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1))
    )
    smear = cv2.dilate(
        smear, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(1, int(char_h * 0.1))))
    )
    n, _, stats, _ = cv2.connectedComponentsWithStats(smear, connectivity=8)
    pieces = []
    for x, y, bw, bh, area in stats[1:]:
        if bh < max(min_height * 0.6, MINH * char_h) and bw < 2 * char_h:
            continue
        if area < AREA * char_h * char_h:
            continue
        for part in _split_tall((x, y, x + bw, y + bh), ink, char_h):
            tight = _tighten(part, ink)
            if tight and tight[3] - tight[1] >= min_height * 0.6:
                pieces.append(tight)
    lines = _merge_same_row(pieces, char_h)
    limit = max_height or max(3 * char_h, 0.25 * h)
    boxes = [
        LineBox(*(int(v) for v in b))
        for b in lines
        if min_height <= b[3] - b[1] <= limit and b[2] - b[0] >= 4
    ]
    return reading_order(boxes)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def quad_to_box(quad: Sequence[float]) -> tuple[int, int, int, int]:
    xs, ys = quad[0::2], quad[1::2]
    return (int(min(xs)), int(min(ys)), int(round(max(xs))), int(round(max(ys))))


def match_boxes(
    found: Sequence[Sequence[float]], truth: Sequence[Sequence[float]], iou: float = 0.5
) -> tuple[int, int]:
    """(matched, len(truth)): greedy one-to-one matching by IoU, best pairs first."""
    pairs = sorted(
        ((box_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)),
        reverse=True,
    )
    used_f, used_t = set(), set()
    for score, i, j in pairs:
        if score < iou:
            break
        if i in used_f or j in used_t:
            continue
        used_f.add(i)
        used_t.add(j)
    return len(used_t), len(truth)
