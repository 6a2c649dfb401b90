"""Text line finding on whole pages with OpenCV (pure): boxes in reading order.

Binarise, estimate the character height from connected components, remove table rulings,
dashed separator rows, barcodes and stamp-sized blobs, smear ink along the text direction into
words, cut blobs that hold touching lines, rejoin fragments stacked above one another (a lone
colon, CJK characters of separate strokes), join the words of each line, pad every box to the
line's height and sort into reading order. Gaps wider than about 1.4 character heights separate
boxes, and table rulings always do, so label and value cells, table columns and receipt price
columns come out as separate lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike

from .preprocess import GrayImage, opencv_u8, to_gray

# In character heights (the page's 70th-percentile glyph height), chosen with
# bench/line_recall.py on the shared sample pages. GAP smears letters into words; MERGE joins
# words into lines (both sample sets' annotations start a new box at a gap of about one em);
# AREA and MINH drop specks; BIG marks stamps and frames; VALLEY is how empty, as a share of the
# line's ink, a row must be to cut two touching lines apart; pieces closer than STACK_GAP above
# one another join when together they are at most STACK high (CJK glyphs run ~1.3 high, as the
# page's Latin and digits pull the estimate down).
GAP, MERGE, AREA, MINH, BIG, VALLEY = 0.6, 1.4, 0.05, 0.3, 5.0, 0.5
STACK, STACK_GAP = 1.4, 0.8
# Boxes cover the line's em height, not just its ink: training crops (synth.render_text) and
# annotated line boxes both do, so digits-only and capitals-only lines keep their scale.
PAD_X, PAD_Y, EM = 0.15, 0.1, 1.0

Box = tuple[int, int, int, int]
Mask = npt.NDArray[np.uint8]  # 255 where set, 0 elsewhere


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


def _rect(width: int, height: int) -> MatLike:
    return cv2.getStructuringElement(cv2.MORPH_RECT, (width, height))


def _compare(src: MatLike, value: float, op: int) -> Mask:
    # OpenCV compares an array with a scalar too; its stubs only admit two arrays.
    return opencv_u8(cv2.compare(src, value, op))  # type: ignore[call-overload]


def _ink(gray: GrayImage) -> Mask:
    """255 where there is ink: adaptive threshold, robust to uneven light and coloured paper."""
    block = max(15, (min(gray.shape) // 40) | 1)
    ink = opencv_u8(
        cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15
        )
    )
    # Strokes wider than half the block come out hollow; solid dark ink is ink whatever its size.
    dark = min(80.0, 0.5 * float(np.median(gray[::4, ::4])))
    return ink | _compare(gray, dark, cv2.CMP_LT)


def _components(mask: MatLike) -> tuple[MatLike, MatLike]:
    # Grana's block-based labelling: same result as the default, about 3x faster on text pages.
    _, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
        mask, 8, cv2.CV_32S, cv2.CCL_GRANA
    )
    return labels, stats


def _char_height(stats: MatLike, page_h: int) -> float:
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    # Not rulings nor barcode bars, whose height says nothing about the text.
    keep = (
        (heights >= 6) & (heights <= page_h / 8) & (widths <= heights * 4) & (widths * 4 > heights)
    )
    if not keep.any():
        return 16.0
    # Upper-middle of the distribution: CJK characters split into radicals and Latin punctuation
    # pull the plain median down.
    return float(np.percentile(heights[keep], 70))


def _rulings(ink: Mask, char_h: float) -> Mask:
    """Mask of long, thin, straight horizontal and vertical strokes (table borders, underlines).

    Ink is thickened across the stroke first, so that borders of a page rotated by a degree or
    two still hold runs longer than the kernel. Runs as thick as the stems of large type (titles,
    logos) are type, not rulings."""
    long_side, thick = max(25, int(char_h * 4)), max(8, round(char_h * 0.4))
    out = np.zeros_like(ink)
    for across, along, solid in (
        (_rect(1, 3), _rect(long_side, 1), _rect(1, thick)),
        (_rect(3, 1), _rect(1, long_side), _rect(thick, 1)),
    ):
        runs = opencv_u8(cv2.morphologyEx(cv2.dilate(ink, across), cv2.MORPH_OPEN, along))
        stems = opencv_u8(cv2.dilate(cv2.morphologyEx(runs, cv2.MORPH_OPEN, solid), solid))
        out |= runs & ~stems
    return opencv_u8(cv2.dilate(out, _rect(3, 3)))


def _clutter(labels: MatLike, stats: MatLike, char_h: float) -> Mask:
    """Mask of ink that is not text but would weld lines together: dashed and dotted separator
    rows ("-------", "......") between receipt sections, barcodes, and blobs far taller than a
    character (stamps, frames, the dark edge of a photographed page)."""
    heights, widths = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    kind = np.zeros(len(stats), np.uint8)
    kind[heights <= max(2, 0.4 * char_h)] = 1  # dashes, dots
    kind[(heights >= 1.5 * char_h) & (widths <= 0.25 * heights)] = 2  # bars
    kind[heights > BIG * char_h] = 3
    kind[0] = 0
    codes = kind[labels]
    out = _compare(codes, 3, cv2.CMP_EQ)
    # Rows of marks are found at quarter scale: only their extent matters, and it is cheap.
    q = 4
    kernel = _rect(max(1, round(char_h / q)), 1)
    for code, max_h in ((1, 0.6 * char_h), (2, BIG * char_h)):
        marks = _compare(codes, code, cv2.CMP_EQ)
        small = cv2.resize(marks, None, fx=1 / q, fy=1 / q, interpolation=cv2.INTER_AREA)
        rows = cv2.morphologyEx(_compare(small, 0, cv2.CMP_GT), cv2.MORPH_CLOSE, kernel)
        row_labels, row_stats = _components(rows)
        row_w = row_stats[:, cv2.CC_STAT_WIDTH] * q
        # A skewed separator row drops by its slope along its length.
        long_row = (row_w >= 5 * char_h) & (
            row_stats[:, cv2.CC_STAT_HEIGHT] * q <= np.maximum(max_h, 0.1 * row_w)
        )
        long_row[0] = False
        keep = np.where(long_row[row_labels], 255, 0).astype(np.uint8)
        full = cv2.resize(keep, marks.shape[::-1], interpolation=cv2.INTER_NEAREST)
        out |= marks & opencv_u8(cv2.dilate(full, _rect(3, 3)))
    return out


def _split_tall(box: Box, ink: Mask, char_h: float) -> list[Box]:
    """Cut a blob holding touching lines at the valleys of its row profile; boxes tight around
    each line's ink. The profile is taken along the slope (within about ±3°) that makes it
    sharpest, so the lines of a slightly skewed or curled receipt still show white between them.
    """
    x0, y0, x1, y1 = box
    ys, xs = np.nonzero(ink[y0:y1, x0:x1])
    band = np.zeros(len(ys), np.int64)
    if y1 - y0 >= 1.6 * char_h and len(ys):
        centred = xs - (x1 - x0) / 2
        sheared = [
            np.round(ys - s * centred).astype(np.int64) for s in np.linspace(-0.05, 0.05, 11)
        ]
        sheared = [r - r.min() for r in sheared]
        rows = max(sheared, key=lambda r: int((np.bincount(r) ** 2).sum()))
        k = max(1, int(char_h * 0.2))
        smooth = np.convolve(np.bincount(rows), np.ones(k) / k, mode="same")
        level = float(np.median(smooth[smooth > 0]))
        i = np.arange(1, len(smooth) - 1)
        minima = i[
            (smooth[i] <= smooth[i - 1])
            & (smooth[i] <= smooth[i + 1])
            & (smooth[i] < VALLEY * level)
            & (i >= 0.5 * char_h)
            & (i <= len(smooth) - 0.5 * char_h)
        ]
        cuts: list[int] = []
        for c in minima[np.argsort(smooth[minima], kind="stable")]:
            if all(abs(c - d) >= 0.6 * char_h for d in cuts):
                cuts.append(int(c))
        band = np.searchsorted(np.sort(np.array(cuts, dtype=np.int64)), rows, side="right")
    out = []
    for i in np.unique(band):
        bx, by = xs[band == i], ys[band == i]
        out.append(
            (x0 + int(bx.min()), y0 + int(by.min()), x0 + int(bx.max()) + 1, y0 + int(by.max()) + 1)
        )
    return out


def _join_stacked(pieces: list[Box], char_h: float) -> list[Box]:
    """Join a low piece to the piece right above or below it when together they stay one
    character high: the two dots of a lone colon, CJK characters whose strokes do not touch
    (合, 二, 方)."""
    if not pieces:
        return []
    b = np.array(sorted(pieces, key=lambda p: p[1]), dtype=np.int64)
    starts = b[:, 1].copy()
    alive = np.ones(len(b), bool)
    for i in np.nonzero(b[:, 3] - b[:, 1] < 0.75 * char_h)[0]:
        s = b[i]
        lo = np.searchsorted(starts, s[1] - 1.2 * char_h)
        hi = np.searchsorted(starts, s[3] + STACK_GAP * char_h, side="right")
        idx = np.arange(lo, hi)
        idx = idx[(idx != i) & alive[lo:hi]]
        c = b[idx]
        x_overlap = np.minimum(c[:, 2], s[2]) - np.maximum(c[:, 0], s[0])
        y_gap = np.maximum(c[:, 1], s[1]) - np.minimum(c[:, 3], s[3])
        ok = (
            (x_overlap > 0.5 * np.minimum(c[:, 2] - c[:, 0], s[2] - s[0]))
            & (y_gap <= STACK_GAP * char_h)
            & (np.maximum(c[:, 3], s[3]) - np.minimum(c[:, 1], s[1]) <= STACK * char_h)
            & (np.maximum(c[:, 2], s[2]) - np.minimum(c[:, 0], s[0]) <= 2 * char_h)
        )
        if ok.any():
            j = idx[ok][np.argmin(y_gap[ok])]
            b[j, :2] = np.minimum(b[j, :2], s[:2])
            b[j, 2:] = np.maximum(b[j, 2:], s[2:])
            alive[i] = False
    return [(int(x0), int(y0), int(x1), int(y1)) for x0, y0, x1, y1 in b[alive]]


def _merge_same_row(boxes: list[Box], char_h: float, walls: Mask) -> list[Box]:
    """Join the words of one line, left to right: vertically overlapping and closer than MERGE
    times their height (large type has wider gaps). Never across a table ruling."""
    pieces = np.array(boxes, dtype=np.int64).reshape(-1, 4)
    merged = np.zeros((0, 4), dtype=np.int64)
    for box in pieces[np.argsort(pieces[:, 0], kind="stable")]:
        x0, y0, x1, y1 = (int(v) for v in box)
        low = np.minimum(merged[:, 3] - merged[:, 1], y1 - y0)
        gaps = x0 - merged[:, 2]
        fits = (np.minimum(merged[:, 3], y1) - np.maximum(merged[:, 1], y0) > 0.6 * low) & (
            gaps < MERGE * np.maximum(char_h, low)
        )
        for i in np.nonzero(fits)[0]:
            m = merged[i]
            if gaps[i] > 0 and walls[max(m[1], y0) : min(m[3], y1), m[2] : x0].any():
                continue
            merged[i, :2] = np.minimum(m[:2], box[:2])
            merged[i, 2:] = np.maximum(m[2:], box[2:])
            break
        else:
            merged = np.vstack([merged, box[None]])
    return [(int(x0), int(y0), int(x1), int(y1)) for x0, y0, x1, y1 in merged]


def _pad(box: Box, char_h: float, h: int, w: int) -> Box:
    x0, y0, x1, y1 = box
    dx, dy = PAD_X * char_h, max(0.0, EM * char_h - (y1 - y0)) / 2 + PAD_Y * char_h
    return (
        max(0, round(x0 - dx)),
        max(0, round(y0 - dy)),
        min(w, round(x1 + dx)),
        min(h, round(y1 + dy)),
    )


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
    page: npt.NDArray[Any], *, min_height: int = 6, max_height: int | None = None
) -> list[LineBox]:
    """Text line boxes of a page (gray or BGR array) in reading order; [] for a blank page.

    ``min_height`` and ``max_height`` bound the ink height of a line in pixels; by default lines
    taller than three character heights or a quarter of the page (logos, photos) are dropped.
    Boxes are then padded to the line's em height, clamped to the page. A mostly dark page is
    read both ways (light text on dark, or a receipt photographed on a dark table).
    """
    gray = to_gray(page)
    h, w = gray.shape
    if h < min_height or w < min_height:
        return []
    boxes, share = _find(gray, min_height, max_height)
    if float(np.median(gray[::4, ::4])) < 100:
        # Text strokes are thin: the wrong reading takes the dark ground around light strokes
        # for ink and fills most of its boxes.
        other, other_share = _find(255 - gray, min_height, max_height)
        if other and (not boxes or other_share < share):
            boxes = other
    return reading_order([LineBox(*b) for b in boxes])


def _find(gray: GrayImage, min_height: int, max_height: int | None) -> tuple[list[Box], float]:
    """Padded line boxes, and the share of their (unpadded) area that is ink."""
    h, w = gray.shape
    ink = _ink(gray)
    _, stats = _components(ink)
    walls = _rulings(ink, _char_height(stats, h))
    ink &= ~walls
    labels, stats = _components(ink)
    char_h = _char_height(stats, h)
    ink &= ~_clutter(labels, stats, char_h)
    smear = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, _rect(max(3, round(char_h * GAP)), 1))
    smear = opencv_u8(cv2.dilate(smear, _rect(1, max(1, int(char_h * 0.1)))))
    smear &= ~walls  # a ruling keeps its two sides apart
    _, stats = _components(smear)
    pieces = [
        part
        for x, y, bw, bh, area in stats[1:]
        if area >= 0.01 * char_h * char_h
        for part in _split_tall((x, y, x + bw, y + bh), ink, char_h)
    ]
    pieces = [
        b
        for b in _join_stacked(pieces, char_h)
        if b[3] - b[1] >= max(min_height * 0.6, MINH * char_h)
        and (b[2] - b[0]) * (b[3] - b[1]) >= AREA * char_h * char_h
    ]
    limit = max_height or max(3 * char_h, 0.25 * h)
    lines = [
        b
        for b in _merge_same_row(pieces, char_h, walls)
        if min_height <= b[3] - b[1] <= limit and b[2] - b[0] >= 2
    ]
    area = sum((b[2] - b[0]) * (b[3] - b[1]) for b in lines)
    inked = sum(int(np.count_nonzero(ink[b[1] : b[3], b[0] : b[2]])) for b in lines)
    return [_pad(b, char_h, h, w) for b in lines], inked / max(1, area)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two (x0, y0, x1, y1) boxes; 0.0 when either is empty."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def quad_to_box(quad: Sequence[float]) -> tuple[int, int, int, int]:
    """(x1, y1, ..., x4, y4) corner list → the axis-aligned box around it."""
    xs, ys = quad[0::2], quad[1::2]
    return (int(min(xs)), int(min(ys)), int(round(max(xs))), int(round(max(ys))))


def match_boxes(
    found: Sequence[Sequence[float]], truth: Sequence[Sequence[float]], iou: float = 0.5
) -> tuple[int, int]:
    """(matched, len(truth)): greedy one-to-one matching by IoU, best pairs first."""
    return len(matched_truth(found, truth, iou)), len(truth)


def matched_truth(
    found: Sequence[Sequence[float]], truth: Sequence[Sequence[float]], iou: float = 0.5
) -> set[int]:
    """Indices of the truth boxes :func:`match_boxes` pairs with a found box."""
    pairs = sorted(
        ((box_iou(f, t), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)),
        reverse=True,
    )
    used_f: set[int] = set()
    used_t: set[int] = set()
    for score, i, j in pairs:
        if score >= iou and i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return used_t
