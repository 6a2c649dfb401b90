"""Greedy CTC decoding and the definition of confidence the review routing relies on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .charset import BLANK, Charset


@dataclass(frozen=True)
class Decoded:
    text: str
    confidence: float
    char_confidences: tuple[float, ...] = ()
    # (start, end) of each emitted character as fractions (0..1) of the line's width, from the
    # frames of its run: enough to cut a value out of a "label：value" line.
    char_spans: tuple[tuple[float, float], ...] = ()
    # (T, C) log-probabilities, kept only when asked for (label spotting with prefix_log_prob);
    # (T, K) when only K classes were asked for (see KeepScores).
    log_probs: npt.NDArray[np.float32] | None = field(default=None, compare=False, repr=False)
    # Read by a fast first reader alone (``ppocr.cascade``), not by the accurate model: what a
    # field's value rests on is read again by the accurate model (processing.reading).
    provisional: bool = False


EMPTY = Decoded("", 0.0, ())

# What a reader keeps of a line's scores besides its reading: nothing (False), every class's
# log-probability (True), or those of the listed class ids only, as columns in that order. A page's
# full scores for an 18,710-class model take hundreds of MB; label spotting needs a few dozen
# classes of them.
KeepScores = bool | Sequence[int]


def greedy_decode(
    log_probs: npt.NDArray[np.floating[Any]],
    charset: Charset,
    *,
    is_logits: bool = False,
    temperature: float = 1.0,
) -> Decoded:
    """Best-path decoding of one line: (T, C) log-probabilities (or logits) → text and confidence.

    Blank is class 0 (``charset.BLANK``), character ``charset.chars[i]`` class ``i + 1``. The path
    takes the arg-max class per frame, merges repeats, then drops blanks, so "a a" needs a blank
    frame between the two a's.

    Confidence, which review routing compares with each field's threshold:

    * ``char_confidences[k]``: the highest probability the k-th emitted character reaches over
      its run of frames (a substitution risk shows up here);
    * the **line confidence** is the minimum of all character confidences and, for every blank
      frame, ``1 - p(best other character)``, where "other" excludes the blank and the two
      characters emitted on either side. A frame torn between blank and a neighbouring character
      decodes the same either way and costs nothing; a blank frame where some other character
      has mass (a character that may have been dropped or inserted) lowers the confidence.
    * An all-blank line scores by its blank frames alone; an empty input (T = 0) decodes to ""
      with confidence 0.

    ``temperature`` (logits only; > 1 softens) rescales the probabilities, not the path.
    """
    scores = np.asarray(log_probs, dtype=np.float32)
    if scores.ndim != 2:
        raise ValueError(f"expected (T, C) scores, got shape {scores.shape}")
    if scores.shape[0] == 0:
        return EMPTY
    if scores.shape[1] != charset.num_classes:
        raise ValueError(f"model has {scores.shape[1]} classes, charset {charset.num_classes}")
    best = scores.argmax(axis=1)
    frames = np.arange(len(best))
    # One (T, C) buffer, never normalised as a whole: only the best class of each frame and the
    # strongest other class of each blank frame need their probability (18,710 classes a frame).
    if is_logits:
        mass = np.subtract(scores, scores[frames, best][:, None], dtype=np.float32)
        if temperature != 1.0:
            mass *= np.float32(1.0 / temperature)
        np.exp(mass, out=mass)
        total = mass.sum(axis=1)
    else:
        mass = np.exp(scores)
        total = np.ones(len(best), dtype=np.float32)
    best_p = mass[frames, best] / total
    chars: list[str] = []
    classes: list[int] = []
    confs: list[float] = []
    spans: list[list[int]] = []
    emitted_before = np.zeros(len(best), dtype=np.int64)  # class emitted last, per frame
    prev = BLANK
    for t, (cls, p) in enumerate(zip(best.tolist(), best_p.tolist())):
        if cls != BLANK:
            if cls != prev:
                chars.append(charset.chars[cls - 1])
                classes.append(cls)
                confs.append(p)
                spans.append([t, t + 1])
            else:
                confs[-1] = max(confs[-1], p)
                spans[-1][1] = t + 1
        emitted_before[t] = classes[-1] if classes else BLANK
        prev = cls
    line = min(confs) if confs else 1.0
    blank_frames = np.nonzero(best == BLANK)[0]
    if len(blank_frames):
        # The buffer is ours: clear, in the blank frames, the classes that do not count.
        mass[blank_frames, emitted_before[blank_frames]] = 0.0
        mass[blank_frames, _next_emitted(best)[blank_frames]] = 0.0
        mass[:, BLANK] = 0.0
        others = mass.max(axis=1)[blank_frames] / total[blank_frames]
        line = min(line, float(1.0 - others.max()))
    count = float(len(best))
    return Decoded(
        "".join(chars),
        max(0.0, line),
        tuple(float(c) for c in confs),
        tuple((a / count, b / count) for a, b in spans),
    )


def _next_emitted(best: npt.NDArray[np.intp]) -> npt.NDArray[np.int64]:
    """Per frame, the class of the next character emitted after it (blank if none)."""
    starts = (best != BLANK) & (best != np.concatenate(([BLANK], best[:-1])))
    out = np.zeros(len(best), dtype=np.int64)
    upcoming = BLANK
    for t in range(len(best) - 1, -1, -1):
        out[t] = upcoming
        if starts[t]:
            upcoming = int(best[t])
    return out


def decode_batch(
    logits: npt.NDArray[np.floating[Any]],
    lengths: Sequence[int] | npt.NDArray[np.integer[Any]],
    charset: Charset,
    *,
    keep_scores: KeepScores = False,
    temperature: float = 1.0,
) -> list[Decoded]:
    """(T, N, C) logits of a padded batch → one Decoded per line, each cut to its own length.

    ``temperature`` (> 1 softens) rescales the logits for the confidence only: the best path, and so
    the text, is the same at any temperature, and ``log_probs`` stay the model's own.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    columns = None if isinstance(keep_scores, bool) else np.asarray(keep_scores, dtype=np.intp)
    out = []
    for i, n in enumerate(lengths):
        line = logits[: int(n), i]
        decoded = greedy_decode(line, charset, is_logits=True, temperature=temperature)
        if keep_scores is not False:
            top = line.max(axis=-1, keepdims=True)
            norm = top + np.log(np.exp(line - top).sum(axis=-1, keepdims=True))
            scores = (line if columns is None else line[:, columns]) - norm
            decoded = replace(decoded, log_probs=np.ascontiguousarray(scores, dtype=np.float32))
        out.append(decoded)
    return out


def prefix_log_prob(
    log_probs: npt.NDArray[np.floating[Any]], target: Sequence[int]
) -> tuple[float, int]:
    """log P(the line's text starts with ``target``) under the CTC model, and the frame at which
    the target's last character is most likely first emitted (-1 when impossible).

    Every path whose collapsed text starts with the target enters the state "last target
    character" for the first time at exactly one frame, so summing over those entries gives the
    prefix probability exactly. Used to find printed labels even when best-path reading garbles
    them.
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    steps, length = lp.shape[0], len(target)
    if steps == 0 or length == 0:
        return float("-inf"), -1
    ext = np.zeros(2 * length, dtype=np.int64)  # blank, l1, blank, l2, ..., blank, lL
    ext[1::2] = target
    skip = np.zeros(2 * length, dtype=bool)  # may jump from s-2 (a different character)
    skip[3::2] = ext[3::2] != ext[1:-2:2]
    alpha = np.full(2 * length, -np.inf)
    alpha[0] = lp[0, BLANK]
    alpha[1] = lp[0, ext[1]]
    last = 2 * length - 1
    total, best, best_t = (alpha[last], alpha[last], 0) if length == 1 else (-np.inf, -np.inf, -1)
    for t in range(1, steps):
        enter = np.logaddexp(alpha[last - 1], alpha[last - 2] if skip[last] else -np.inf)
        enter += lp[t, ext[last]]
        if enter > best:
            best, best_t = enter, t
        total = np.logaddexp(total, enter)
        one = np.concatenate(([-np.inf], alpha[:-1]))
        two = np.where(skip, np.concatenate(([-np.inf, -np.inf], alpha[:-2])), -np.inf)
        alpha = np.logaddexp(np.logaddexp(alpha, one), two) + lp[t, ext]
    return float(total), best_t
