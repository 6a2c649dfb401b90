"""Field values under red seals: a value line stamped with red ink that the accurate model read
under ``ink.SURE`` is read again without the red (``recognition.engine.ink``); the more confident
reading is kept.

Only the lines values come from: the page's other lines (titles, labels, form print) find the
layout and need no second reading. Reading every stamped page line again cost real e-invoices,
whose form is printed in maroon, 35 % more time a page and changed no field (``bench/e2e.py
--real`` with every served reader wrapped in ``ink.SealFreeReader``, 2026-12-03: 2.56 instead of
1.90 s a VAT e-invoice page; README, "Real pages").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from PIL import Image

from recognition.engine.ctc import KeepScores
from recognition.engine.ink import SURE, has_red_ink, without_red_ink
from recognition.engine.preprocess import ImageError, crop_box
from recognition.engine.readers import LineReader

from .locate import Located
from .ocrlines import OcrLine
from .page_arrays import PageArrays


class _Spec(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def numeric(self) -> bool: ...


class _Page(Protocol):
    image: Image.Image
    lines: list[OcrLine]


def value_lines(
    pages: Sequence[_Page],
    located: Mapping[str, Located | None],
    specs: Sequence[_Spec],
    keep: Callable[[int, OcrLine], bool],
) -> list[tuple[int, int, int]]:
    """(line number, page, index on the page) of each line a non-numeric field's value comes
    from that ``keep(number, line)`` picks, in reading order."""
    where = [(p, i) for p, page in enumerate(pages) for i in range(len(page.lines))]
    numbers = {
        n
        for spec in specs
        if not spec.numeric and (found := located.get(spec.key)) is not None
        for n in found.source_lines
        if keep(n, pages[where[n][0]].lines[where[n][1]])
    }
    return [(n, *where[n]) for n in sorted(numbers)]


def read_values_around_seals(
    pages: Sequence[_Page],
    located: Mapping[str, Located | None],
    specs: Sequence[_Spec],
    reader: LineReader,
    *,
    done: set[int],
    keep_scores: KeepScores = False,
    arrays: PageArrays | None = None,
) -> int:
    """Read again, without red ink, the stamped lines non-numeric values come from that
    ``reader`` (the accurate model) read under SURE, in place; how many readings it kept.
    ``done`` holds the line numbers already tried (each is tried once per document)."""
    wanted = value_lines(
        pages,
        located,
        specs,
        lambda n, line: n not in done and not line.provisional and line.confidence < SURE,
    )
    done.update(n for n, _, _ in wanted)
    arrays = arrays if arrays is not None else PageArrays(pages)
    stamped, crops = [], []
    for _n, p, i in wanted:
        try:
            crop = crop_box(arrays.bgr(p), pages[p].lines[i].box)
        except ImageError:
            continue
        if has_red_ink(crop):
            stamped.append((p, i))
            crops.append(without_red_ink(crop))
    if not stamped:
        return 0
    kept = 0
    for (p, i), decoded in zip(
        stamped, reader.recognize(crops, keep_scores=keep_scores), strict=True
    ):
        line = pages[p].lines[i]
        if decoded.confidence > line.confidence:
            pages[p].lines[i] = replace(
                line,
                text=decoded.text,
                confidence=decoded.confidence,
                char_confidences=decoded.char_confidences,
                char_spans=decoded.char_spans,
                log_probs=decoded.log_probs,
                provisional=False,
            )
            kept += 1
    return kept
