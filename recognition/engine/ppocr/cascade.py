"""Two recognisers in series: a fast one reads every line, the accurate one only the lines the
fast one is unsure of.

Our fine-tuned PP-OCRv6 tiny reads a line in about a fifth of the CPU time of our fine-tuned
PP-OCRv6 small, and where it is confident it is about as often right (bench/results/
speed-options.md: at 0.98 it keeps half to three quarters of the lines, losing 0.1 % of exact lines
on the calibration split and the held-out set, none on the real ones, for 23–52 % less CPU per
line). The accurate model's reading replaces every line the fast one read under ``threshold``.

A line the fast model keeps carries the fast model's confidence (at least ``threshold``), is marked
``provisional`` and, when scores are asked for, carries its scores mapped onto the accurate model's
classes (a class the fast model lacks scores log 0), so label spotting works on either kind of
line. The pipeline has the accurate model read again every provisional line a field's value comes
from (``processing.reading.confirm_values``): the fast model finds labels and layout, the accurate
one reads the values that may be accepted without a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ..charset import BLANK, Charset
from ..ctc import Decoded, KeepScores
from ..readers import LineReader


class CascadeReader:
    """``fast`` first, ``accurate`` for every line ``fast`` read under ``threshold``."""

    def __init__(self, fast: LineReader, accurate: LineReader, threshold: float) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.fast = fast
        self.accurate = accurate
        self.threshold = threshold
        self.kind = accurate.kind
        self.sha256 = accurate.sha256
        self.charset: Charset = accurate.charset
        # accurate class id → fast class id (or -1 where the fast model has no such character)
        self._to_fast = np.array(
            [BLANK] + [_class_of(c, fast.charset) for c in accurate.charset.chars], dtype=np.intp
        )

    def recognize(
        self, images: Sequence[npt.NDArray[Any]], *, keep_scores: KeepScores = False
    ) -> list[Decoded]:
        """One Decoded per image, in input order (see ``LineReader``).

        ``keep_scores=True`` (every class) reads every line with the accurate model: the fast
        model cannot give the accurate model's full scores.
        """
        if keep_scores is True:
            return self.accurate.recognize(images, keep_scores=True)
        fast_keep: KeepScores = False
        if keep_scores is not False:
            wanted = self._to_fast[np.asarray(keep_scores, dtype=np.intp)]  # -1: tiny lacks it
            fast_keep = sorted({int(c) for c in wanted if c >= 0})
            # Where each asked-for column sits among the fast model's kept ones (-1: nowhere).
            position = {c: k for k, c in enumerate(fast_keep)}
            at = np.array([position.get(int(c), -1) for c in wanted], dtype=np.intp)
        out = self.fast.recognize(images, keep_scores=fast_keep)
        again = [i for i, d in enumerate(out) if d.confidence < self.threshold]
        read_again = set(again)
        for i, decoded in enumerate(out):
            if i not in read_again:
                kept = replace(decoded, provisional=True)
                out[i] = self._on_accurate_columns(kept, at) if keep_scores is not False else kept
        if again:
            second = self.accurate.recognize([images[i] for i in again], keep_scores=keep_scores)
            for i, decoded in zip(again, second, strict=True):
                out[i] = decoded
        return out

    def recognize_one(self, image: npt.NDArray[Any]) -> Decoded:
        return self.recognize([image])[0]

    @staticmethod
    def _on_accurate_columns(decoded: Decoded, at: npt.NDArray[np.intp]) -> Decoded:
        """The fast model's kept scores laid out as the accurate model's asked-for columns."""
        if decoded.log_probs is None:
            return decoded
        scores = np.full((len(decoded.log_probs), len(at)), -np.inf, dtype=np.float32)
        scores[:, at >= 0] = decoded.log_probs[:, at[at >= 0]]
        return replace(decoded, log_probs=scores)


def _class_of(char: str, charset: Charset) -> int:
    try:
        ids = charset.encode(char)
    except KeyError:
        return -1
    return ids[0] if len(ids) == 1 else -1
