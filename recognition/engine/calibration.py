"""Confidence calibration by temperature scaling, and figures that show whether it worked (pure).

A line's confidence (see :func:`ctc.greedy_decode`) should read as "the share of lines at this
confidence that are right", because review routing compares it with a threshold. A network trained
with CTC is usually over-confident; dividing its logits by one temperature T > 1 before the softmax
fixes most of that without changing a single decoded character. T is fitted on a validation split
(never the held-out set it is judged on) by minimising the Brier score of line confidence against
exact-match correctness, a proper scoring rule that rewards confidences equal to accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .charset import Charset
from .ctc import greedy_decode

TEMPERATURES = tuple(float(t) for t in np.round(np.arange(0.5, 4.01, 0.05), 2))


def confidences(
    log_probs: Sequence[npt.NDArray[np.floating[Any]]], charset: Charset, temperature: float
) -> npt.NDArray[np.float64]:
    """Line confidence of each (T, C) log-probability matrix at ``temperature``."""
    return np.array(
        [
            greedy_decode(lp, charset, is_logits=True, temperature=temperature).confidence
            for lp in log_probs
        ],
        dtype=np.float64,
    )


def brier(conf: npt.ArrayLike, correct: npt.ArrayLike) -> float:
    return float(np.mean((np.asarray(conf, float) - np.asarray(correct, float)) ** 2))


@dataclass(frozen=True)
class Fit:
    temperature: float
    brier_before: float
    brier_after: float
    lines: int

    def as_dict(self) -> dict[str, float]:
        return {
            "temperature": self.temperature,
            "brier_before": round(self.brier_before, 5),
            "brier_after": round(self.brier_after, 5),
            "lines": self.lines,
        }


def fit_temperature(
    log_probs: Sequence[npt.NDArray[np.floating[Any]]],
    correct: Sequence[bool],
    charset: Charset,
    grid: Sequence[float] = TEMPERATURES,
) -> Fit:
    """The temperature on ``grid`` with the lowest Brier score (ties: closest to 1)."""
    if len(log_probs) != len(correct) or not log_probs:
        raise ValueError("need one correctness flag per line, and at least one line")
    truth = np.asarray(correct, dtype=float)
    scores = {t: brier(confidences(log_probs, charset, t), truth) for t in grid}
    best = min(scores, key=lambda t: (round(scores[t], 9), abs(t - 1.0)))
    before = brier(confidences(log_probs, charset, 1.0), truth)
    return Fit(best, before, scores[best], len(log_probs))


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    lines: int
    accuracy: float | None
    mean_confidence: float | None


def reliability(conf: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[Bin]:
    """Accuracy and mean confidence per equal-width confidence bin (the reliability diagram)."""
    c, ok = np.asarray(conf, float), np.asarray(correct, bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for i in range(bins):
        low, high = edges[i], edges[i + 1]
        mask = (c >= low) & ((c < high) if i < bins - 1 else (c <= high))
        n = int(mask.sum())
        out.append(
            Bin(
                float(low),
                float(high),
                n,
                float(ok[mask].mean()) if n else None,
                float(c[mask].mean()) if n else None,
            )
        )
    return out


def expected_calibration_error(
    conf: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    total = len(conf)
    if not total:
        return 0.0
    return sum(
        b.lines / total * abs(b.accuracy - b.mean_confidence)
        for b in reliability(conf, correct, bins)
        if b.accuracy is not None and b.mean_confidence is not None  # the bin holds lines
    )


def threshold_figures(
    conf: Sequence[float], correct: Sequence[bool], threshold: float
) -> dict[str, float | None]:
    """Share of lines at or above ``threshold`` that are wrong, and share of lines below it."""
    c, ok = np.asarray(conf, float), np.asarray(correct, bool)
    high = c >= threshold
    return {
        "threshold": threshold,
        "wrong_share_above": float((~ok[high]).mean()) if high.any() else None,
        "share_below": float((~high).mean()) if len(c) else None,
    }
