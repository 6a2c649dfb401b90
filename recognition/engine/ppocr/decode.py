"""Network output → :class:`~recognition.engine.ctc.Decoded`, with our folding rule applied.

Decoding and confidence are ``ctc.decode_batch``'s (blank is class 0 in PaddleOCR's dictionary
too). PaddleOCR's dictionary holds fullwidth forms (``：`` ``（`` ``Ａ``), the ideographic space and
``￥`` as classes of their own; our charset folds them (``charset.fold``), so the reader's output
is folded character by character, keeping each character's confidence and span.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from ..charset import Charset, fold
from ..ctc import Decoded, KeepScores, decode_batch
from .info import Output

_TINY = np.float32(1e-30)


def as_logits(scores: npt.NDArray[np.float32], output: Output) -> npt.NDArray[np.float32]:
    """Logits from the network's output; log-probabilities serve as logits (same softmax)."""
    if output == "logits":
        return scores
    logits: npt.NDArray[np.float32] = np.log(np.maximum(scores, _TINY))
    return logits


def fold_decoded(decoded: Decoded) -> Decoded:
    """``decoded`` with ``fold`` applied to its text; per-character fields follow the characters
    that survive (a run of spaces keeps its first, leading and trailing spaces go)."""
    if fold(decoded.text) == decoded.text:
        return decoded
    keep: list[int] = []
    chars: list[str] = []
    for i, c in enumerate(decoded.text):
        folded = fold(c) or " "  # fold() strips, so a lone (ideographic) space comes back empty
        if folded == " " and (not chars or chars[-1] == " "):
            continue
        keep.append(i)
        chars.append(folded)
    if chars and chars[-1] == " ":
        keep.pop()
        chars.pop()
    text = "".join(chars)
    if text != fold(decoded.text):  # a character that folds to more than one: keep fields aligned
        return replace(decoded, text=fold(decoded.text), char_confidences=(), char_spans=())
    pick = [decoded.char_confidences[i] for i in keep] if decoded.char_confidences else []
    spans = [decoded.char_spans[i] for i in keep] if decoded.char_spans else []
    return replace(decoded, text=text, char_confidences=tuple(pick), char_spans=tuple(spans))


def decode_lines(
    logits: npt.NDArray[np.float32],
    lengths: Sequence[int] | npt.NDArray[np.integer[Any]],
    charset: Charset,
    *,
    temperature: float = 1.0,
    keep_scores: KeepScores = False,
    fold_output: bool = True,
) -> list[Decoded]:
    """(T, N, C) logits of a padded batch → one Decoded per line, cut to its own frames."""
    out = decode_batch(logits, lengths, charset, keep_scores=keep_scores, temperature=temperature)
    return [fold_decoded(d) for d in out] if fold_output else out
