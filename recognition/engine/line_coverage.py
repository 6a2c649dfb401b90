"""Why a ground-truth line box went unmatched by a line finder (pure; for the benchmarks).

Recall at IoU ≥ 0.5 counts a truth line as missed when the finder drew its text as part of a
longer line (SROIE's truth splits printed lines at single spaces) or in pieces (an e-invoice's
text layer joins widely spaced spans into one line), though the recogniser then reads every
character of it. :func:`coverage` tells those apart from text no box reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .lines import matched_truth

Box = Sequence[float]
JOINED_COVER = 0.8  # one found box holds at least this share of the truth box: joined,
JOINED_HEIGHT = 1.6  # when it is one line: at most this many times the truth box's height
PIECE_INSIDE = 0.8  # a piece lies at least this much inside the truth box
SPLIT_COVER = 0.7  # two or more pieces together cover at least this share: split
PARTIAL_COVER = 0.3  # found boxes reach at least this share of it: partly found


@dataclass(frozen=True)
class Coverage:
    """Truth lines by outcome; every truth line is in exactly one count."""

    matched: int = 0  # a found box at IoU >= the threshold, one-to-one
    joined: int = 0  # inside one longer found box
    split: int = 0  # covered by several found boxes
    partial: int = 0  # found boxes reach part of it
    missed: int = 0  # no found box reaches it

    @property
    def truth(self) -> int:
        return self.matched + self.joined + self.split + self.partial + self.missed

    @property
    def covered(self) -> int:
        """Truth lines whose text the finder hands to the recogniser whole."""
        return self.matched + self.joined + self.split


def _inter(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _area(a: Box) -> float:
    return max(1.0, (a[2] - a[0]) * (a[3] - a[1]))


def miss_kind(box: Box, found: Sequence[Box]) -> str:
    """``joined``, ``split``, ``partial`` or ``missed``: how ``found`` covers an unmatched box."""
    shares = [_inter(box, f) / _area(box) for f in found]
    height = max(1.0, box[3] - box[1])
    if any(
        s >= JOINED_COVER and f[3] - f[1] <= JOINED_HEIGHT * height for f, s in zip(found, shares)
    ):
        return "joined"
    pieces = [
        s for f, s in zip(found, shares) if s > 0 and _inter(box, f) / _area(f) >= PIECE_INSIDE
    ]
    if len(pieces) > 1 and sum(pieces) >= SPLIT_COVER:
        return "split"
    return "partial" if min(1.0, sum(shares)) >= PARTIAL_COVER else "missed"


def coverage(found: Sequence[Box], truth: Sequence[Box], iou: float = 0.5) -> Coverage:
    """Every truth box as matched, joined, split, partly found or missed."""
    matched = matched_truth(found, truth, iou)
    kinds = [miss_kind(t, found) for j, t in enumerate(truth) if j not in matched]
    return Coverage(
        len(matched), *(kinds.count(k) for k in ("joined", "split", "partial", "missed"))
    )
