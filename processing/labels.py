"""Finding printed labels among recognised lines (pure).

A label is looked for at the start of a line's text with one OCR slip tolerated in labels of
four or more characters; a letter-spaced label that the line finder cut into pieces
("名" | "称：武汉…", "合" | "计") is found across the pieces of its row; and, when a line's
scores are available, a label the best-path reading garbled is still found by its CTC prefix
probability (:func:`recognition.engine.ctc.prefix_log_prob`): labels are a small, known
vocabulary, so asking "does this line start with 付款人账号?" is far more reliable than reading it
blind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from recognition.engine.charset import BLANK, Charset, fold
from recognition.engine.ctc import prefix_log_prob
from recognition.engine.metrics import edit_distance

from .ocrlines import Box, OcrLine, same_row, union

LABEL_NOISE = re.compile(r"[\s:：()（）\[\]【】*＊_/、.]")
_OPENING_BRACKETS = "(（[【"
# A spotted label needs this geometric-mean probability per character.
SPOT_MIN_CHAR_PROB = 0.5
# Pieces of a letter-spaced label lie at most this many line heights apart.
PIECE_GAP_HEIGHTS = 8
Encoder = Callable[[str], list[int]]
# (label characters matched, -slips): an exact reading beats a slip, a longer label a shorter one.
Score = tuple[int, int]


def spotting_scores(labels: Collection[str], charset: Charset) -> tuple[list[int], Encoder]:
    """The classes label spotting reads (blank first, where ``prefix_log_prob`` expects it) and
    an encoder of label text onto those columns.

    A reader asked to keep only these columns (``ctc.KeepScores``) holds a few dozen numbers per
    frame instead of the model's 18,710: a page's scores shrink from hundreds of MB to a few MB.
    The encoder raises KeyError for a character outside the columns, as ``Charset.encode`` does.
    """
    chars = sorted({c for label in labels for c in fold(label) if c != " " and charset.covers(c)})
    classes = [BLANK, *(charset.encode(c)[0] for c in chars)]
    column = {c: i for i, c in enumerate(chars, start=1)}

    def encode(text: str) -> list[int]:
        return [column[c] for c in fold(text)]

    return classes, encode


@dataclass(frozen=True)
class Anchor:
    """Where a label was found: the line holding its end, the characters of that line it takes
    (the value may follow inline), how well it matched, and the label's own box."""

    line: int
    consumed: int
    score: Score
    box: Box


def label_key(text: str) -> str:
    """The label as compared: folded, upper case, without spaces, colons and brackets."""
    return LABEL_NOISE.sub("", fold(text)).upper()


def _skip_label_noise(text: str, consumed: int) -> int:
    while (
        consumed < len(text)
        and LABEL_NOISE.match(text[consumed])
        and text[consumed] not in _OPENING_BRACKETS
    ):
        consumed += 1
    return consumed


def label_match(line_text: str, labels: Sequence[str]) -> tuple[int, Score] | None:
    """(characters of ``line_text`` taken by the best-matching label, its score), or None.

    The score ranks matches by characters matched, then exactness, so 收款人账号 read exactly
    beats 付款人账号 with one slip.
    """
    best: tuple[int, Score] | None = None
    for label in labels:
        key = label_key(label)
        if not key:
            continue
        consumed, matched = 0, ""
        for ch in line_text:
            if len(matched) >= len(key):
                break
            consumed += 1
            if not LABEL_NOISE.match(ch):
                matched += (fold(ch) or ch).upper()
        if len(matched) != len(key):
            continue
        # Trailing label noise such as the ） of 金额（小写） is not part of the value; an opening
        # bracket may start one (a phone number's "(010)").
        consumed = _skip_label_noise(line_text, consumed)
        distance = edit_distance(matched, key)
        score = (len(key) - distance, -distance)
        if distance <= (1 if len(key) >= 4 else 0) and (best is None or score > best[1]):
            best = (consumed, score)
    return best


def whole_line_match(line_text: str, words: Sequence[str]) -> int:
    """Length of the longest of ``words`` that the whole line reads (label noise aside), else 0."""
    key = label_key(line_text)
    return max((len(k) for w in words if (k := label_key(w)) and k == key), default=0)


def left_piece(lines: Sequence[OcrLine], i: int, scope: Collection[int]) -> int | None:
    """The nearest line left of line ``i`` on its row, within a letter-spaced label's gap."""
    line = lines[i]
    best, best_gap = None, PIECE_GAP_HEIGHTS * line.height
    for j in scope:
        other = lines[j]
        if j == i or other.page != line.page or not same_row(line.box, other.box):
            continue
        distance = line.box[0] - other.box[2]
        if -0.5 * line.height <= distance < best_gap:
            best, best_gap = j, distance
    return best


def _pieces_match(
    lines: Sequence[OcrLine], i: int, labels: Sequence[str], scope: Collection[int]
) -> Anchor | None:
    """A label spread over up to three pieces of one row, ending in line ``i``."""
    pieces: list[int] = []
    j = left_piece(lines, i, scope)
    while j is not None and len(pieces) < 2 and 0 < len(label_key(lines[j].text)) <= 2:
        pieces.insert(0, j)
        head = "".join(lines[k].text for k in pieces)
        found = label_match(head + lines[i].text, labels)
        if found is not None and found[0] > len(head):
            # Only a label longer than its left pieces, and that needs every one of them.
            boxes = [lines[k].box for k in pieces] + [lines[i].box]
            return Anchor(i, found[0] - len(head), found[1], union(boxes))
        j = left_piece(lines, j, scope)
    return None


def _spotted(line: OcrLine, labels: Sequence[str], encode: Encoder) -> tuple[int, Score] | None:
    """Like :func:`label_match`, from the line's CTC scores instead of its best-path text.

    Spotted matches rank just below text matches with one slip.
    """
    if line.log_probs is None or not len(line.log_probs):
        return None
    best: tuple[float, int, int] | None = None  # (mean log-prob per char, end frame, key length)
    for label in labels:
        target_text = fold(label).replace(" ", "").rstrip(":")
        try:
            target = encode(target_text)
        except KeyError:
            continue
        if not target or line.log_probs[:, target[0]].max() < math.log(0.05):
            continue
        log_p, end = prefix_log_prob(line.log_probs, target)
        per_char = log_p / len(target)
        if per_char >= math.log(SPOT_MIN_CHAR_PROB) and (best is None or per_char > best[0]):
            best = (per_char, end, len(label_key(label)))
    if best is None:
        return None
    end_fraction = (best[1] + 1) / len(line.log_probs)
    consumed = sum(1 for start, _ in line.char_spans if start < end_fraction)
    return _skip_label_noise(line.text, consumed), (best[2] - 1, -2)


def _label_box(line: OcrLine, consumed: int) -> Box:
    x0, y0, x1, y1 = line.box
    if consumed <= 0 or not line.text:
        return line.box
    if len(line.char_spans) == len(line.text):
        end = line.char_spans[min(consumed, len(line.text)) - 1][1]
    else:
        end = min(consumed, len(line.text)) / len(line.text)
    return (x0, y0, int(x0 + end * (x1 - x0)), y1)


def find_anchors(
    lines: Sequence[OcrLine],
    labels: Sequence[str],
    scope: Collection[int],
    *,
    encode: Encoder | None = None,
) -> list[Anchor]:
    """Every line of ``scope`` that starts with one of ``labels`` (or ends a letter-spaced one).

    Lines read as text come first; only when none matches are the lines' CTC scores asked.
    """
    found = []
    for i in scope:
        match = label_match(lines[i].text, labels)
        if match is not None:
            found.append(Anchor(i, match[0], match[1], _label_box(lines[i], match[0])))
            continue
        pieces = _pieces_match(lines, i, labels, scope)
        if pieces is not None:
            found.append(pieces)
    if found or encode is None:
        return found
    for i in scope:
        spotted = _spotted(lines[i], labels, encode)
        if spotted is not None:
            found.append(Anchor(i, spotted[0], spotted[1], _label_box(lines[i], spotted[0])))
    return found
