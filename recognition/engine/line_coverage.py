"""Why a ground-truth line box went unmatched by a line finder (pure; for the benchmarks).

Recall at IoU ≥ 0.5 counts a truth line as missed when the finder drew its text as part of a
longer line (SROIE's truth splits printed lines at single spaces) or in pieces (an e-invoice's
text layer joins widely spaced spans into one line), though the recogniser then gets its text in
one line or a few. :func:`coverage` tells those apart from lines merged with a neighbouring row,
lines found in part and text no box reaches. Shares are of the truth box's width, counted over
the found boxes on its row (overlapping it by at least ROW_SHARE of its height), their union once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

from .lines import matched_truth

Box = Sequence[float]
ROW_SHARE = 0.5  # a found box is on the truth line's row when it spans this much of its height
JOINED_COVER = 0.8  # one box on the row spans at least this share of the width: joined (or merged)
SPLIT_COVER = 0.7  # two or more boxes on the row span at least this share together: split
PARTIAL_COVER = 0.3  # boxes on the row span at least this share: partly found; less: missed
OTHER_LINE = 0.5  # a box holds another truth line when on its row it spans this share of it
# A box this many times the truth line's height holds more than its row (a seal, a ruling, a line
# the truth leaves out), even where it holds no other truth line: merged, not joined. Tilted
# photos make single lines taller too, so photo figures count some joined lines as merged.
JOINED_HEIGHT = 1.6


@dataclass(frozen=True)
class Coverage:
    """Truth lines by outcome; every truth line is in exactly one count."""

    matched: int = 0  # a found box at IoU >= the threshold, one-to-one
    joined: int = 0  # one found box on its row spans ≥ JOINED_COVER of it, and nothing more
    split: int = 0  # two or more boxes on its row span ≥ SPLIT_COVER of it together
    merged: int = 0  # spanned only by boxes that hold another row too (or are too tall)
    partial: int = 0  # boxes on its row span PARTIAL_COVER .. SPLIT_COVER of it
    missed: int = 0  # less than PARTIAL_COVER of it is spanned

    def __add__(self, other: Coverage) -> Coverage:
        return Coverage(*(a + b for a, b in zip(astuple(self), astuple(other))))

    @property
    def truth(self) -> int:
        return sum(astuple(self))

    @property
    def covered(self) -> int:
        """Truth lines the recogniser gets in one found line or a few on the same row."""
        return self.matched + self.joined + self.split


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _height(box: Box) -> float:
    return max(1.0, box[3] - box[1])


def _width(box: Box) -> float:
    return max(1.0, box[2] - box[0])


def _same_row(a: Box, b: Box) -> bool:
    return _overlap(a[1], a[3], b[1], b[3]) >= ROW_SHARE * min(_height(a), _height(b))


def _on_row(box: Box, other: Box) -> bool:
    """``other`` spans at least ROW_SHARE of ``box``'s height."""
    return _overlap(box[1], box[3], other[1], other[3]) >= ROW_SHARE * _height(box)


def _spans(box: Box, other: Box) -> bool:
    """``other`` lies on ``box``'s row and spans at least OTHER_LINE of its width."""
    return _on_row(box, other) and _overlap(
        box[0], box[2], other[0], other[2]
    ) >= OTHER_LINE * _width(box)


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def miss_kind(box: Box, found: Sequence[Box], truth: Sequence[Box] = ()) -> str:
    """``joined``, ``split``, ``merged``, ``partial`` or ``missed``: how ``found`` covers a
    truth box that no found box matched; ``truth`` (all truth boxes) tells merged rows."""
    row = [f for f in found if _on_row(box, f)]
    width = _width(box)
    spans = [(max(f[0], box[0]), min(f[2], box[2])) for f in row if f[2] > box[0] and f[0] < box[2]]
    holders = [f for f in row if _overlap(box[0], box[2], f[0], f[2]) >= JOINED_COVER * width]
    if holders:
        others = [t for t in truth if not _same_row(box, t)]
        if all(
            f[3] - f[1] > JOINED_HEIGHT * _height(box) or any(_spans(t, f) for t in others)
            for f in holders
        ):
            return "merged"
        return "joined"
    share = _union(spans) / width
    if len(spans) > 1 and share >= SPLIT_COVER:
        return "split"
    return "partial" if share >= PARTIAL_COVER else "missed"


def coverage(found: Sequence[Box], truth: Sequence[Box], iou: float = 0.5) -> Coverage:
    """Every truth box as matched, joined, split, merged, partly found or missed."""
    matched = matched_truth(found, truth, iou)
    kinds = [miss_kind(t, found, truth) for j, t in enumerate(truth) if j not in matched]
    counts = (kinds.count(k) for k in ("joined", "split", "merged", "partial", "missed"))
    return Coverage(len(matched), *counts)
