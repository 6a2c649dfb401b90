"""Text accuracy measures shared by training, evaluation and the benchmarks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .charset import fold


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def comparable(text: str, *, ignore_case: bool = False, ignore_spaces: bool = False) -> str:
    text = fold(text)
    if ignore_spaces:
        text = text.replace(" ", "")
    return text.upper() if ignore_case else text


@dataclass
class Score:
    lines: int = 0
    exact: int = 0
    errors: int = 0  # edit operations
    chars: int = 0  # reference characters

    def add(self, predicted: str, truth: str, **opts: bool) -> bool:
        p, t = comparable(predicted, **opts), comparable(truth, **opts)
        self.lines += 1
        self.exact += p == t
        self.errors += edit_distance(p, t)
        self.chars += max(1, len(t))
        return p == t

    @property
    def exact_rate(self) -> float:
        return self.exact / self.lines if self.lines else 0.0

    @property
    def cer(self) -> float:
        return self.errors / self.chars if self.chars else 0.0


def score_pairs(pairs: Iterable[tuple[str, str]], **opts: bool) -> Score:
    score = Score()
    for predicted, truth in pairs:
        score.add(predicted, truth, **opts)
    return score
