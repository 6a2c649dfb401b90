"""Greedy CTC decoding and the definition of confidence the review routing relies on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .charset import BLANK, Charset


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    # (start, end) of each emitted character as fractions (0..1) of the line's width, from the
    # frames of its run: enough to cut a value out of a "label：value" line.
    char_spans: tuple[tuple[float, float], ...] = ()


EMPTY = Decoded("", 0.0, ())


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def greedy_decode(log_probs: np.ndarray, charset: Charset, *, is_logits: bool = False) -> Decoded:
    """Best-path decoding of one line: (T, C) log-probabilities (or logits) → text and confidence.

    Blank is class 0 (``charset.BLANK``), character ``charset.chars[i]`` class ``i + 1``. The path
    takes the arg-max class per frame, merges repeats, then drops blanks, so "a a" needs a blank
    frame between the two a's.

    Confidence: ``char_confidences[k]`` is the highest probability the k-th emitted character
    reaches over its run of frames; the line confidence is the **minimum probability of the
    chosen class over all frames**, blanks included. A frame torn between blank and a character
    (a possibly dropped or doubled character) therefore lowers the line's confidence even though
    it emitted nothing. An all-blank line keeps that definition; an empty input (T = 0) decodes
    to ``""`` with confidence 0.
    """
    probs = np.asarray(log_probs, dtype=np.float32)
    if probs.ndim != 2:
        raise ValueError(f"expected (T, C) scores, got shape {probs.shape}")
    if probs.shape[0] == 0:
        return EMPTY
    if probs.shape[1] != charset.num_classes:
        raise ValueError(f"model has {probs.shape[1]} classes, charset {charset.num_classes}")
    probs = _softmax(probs) if is_logits else np.exp(probs)
    best = probs.argmax(axis=1)
    best_p = probs[np.arange(len(best)), best]
    chars: list[str] = []
    confs: list[float] = []
    spans: list[list[int]] = []
    prev = BLANK
    for t, (cls, p) in enumerate(zip(best.tolist(), best_p.tolist())):
        if cls != BLANK:
            if cls != prev:
                chars.append(charset.chars[cls - 1])
                confs.append(p)
                spans.append([t, t + 1])
            else:
                confs[-1] = max(confs[-1], p)
                spans[-1][1] = t + 1
        prev = cls
    frames = float(len(best))
    return Decoded(
        "".join(chars),
        float(best_p.min()),
        tuple(float(c) for c in confs),
        tuple((a / frames, b / frames) for a, b in spans),
    )


def decode_batch(
    logits: np.ndarray, lengths: np.ndarray | list[int], charset: Charset
) -> list[Decoded]:
    """(T, N, C) logits of a padded batch → one Decoded per line, each cut to its own length."""
    return [
        greedy_decode(logits[: int(n), i], charset, is_logits=True) for i, n in enumerate(lengths)
    ]
