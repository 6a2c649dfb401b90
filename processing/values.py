"""Where a value lies once its label, section or frame is known (pure; no ORM).

Every function here returns only the value: a label printed on the same line, or a line that
reaches into the value's box from outside, is cut off by the positions of its characters.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from documents.rules.location import Location, ValueSpec

from .labels import Anchor, find_anchors, label_match
from .layout import frame_box
from .ocrlines import (
    Box,
    Located,
    OcrLine,
    clip,
    join,
    narrow,
    overlap,
    piece,
    reading_order,
    same_row,
)

# Without a value box, a value lies at most this share of the page width right of its label,
# or this many label heights below it.
RIGHT_MAX_SHARE = 0.45
BELOW_MAX_HEIGHTS = 2.5
# A value spread over several lines: the gap to each next line is at most this many line
# heights (lines of one block sit tight; a wider gap opens the next block).
NEXT_LINE_GAP = 0.6
# "Tel: 03-1234", "Site:2076": a line that opens with a label and a colon.
_LABEL_LINE = re.compile(r"^[^\d:：]{2,24}[:：]")


def with_pattern(found: Located | None, pattern: str | None) -> Located | None:
    """The first match of ``pattern`` in a value (its group ``v`` if it has one); None if none."""
    if found is None or not pattern:
        return found
    m = re.search(pattern, found.text)
    if m is None:
        return None
    group = "v" if "v" in m.re.groupindex else 0
    return narrow(found, m.start(group), m.end(group))


def _right_of(
    lines: Sequence[OcrLine],
    label: Box,
    page: int,
    free: Collection[int],
    max_gap: float,
    *,
    loose: bool = False,
) -> list[int]:
    """Lines on the label's row right of it, nearest first. ``loose``: a cell far across a
    table whose rows tilt a little only needs its middle within half a line of the label's."""
    lx0, ly0, lx1, ly1 = label
    height = ly1 - ly0
    out = []
    for i in free:
        line = lines[i]
        x0, y0, x1, y1 = line.box
        if line.page != page or x0 < lx1 - height * 0.5 or x0 - lx1 > max_gap:
            continue
        if loose:
            if not ly0 - 0.5 * height <= line.centre[1] <= ly1 + 0.5 * height:
                continue
        elif overlap(ly0, ly1, y0, y1) < 0.5 * min(height, y1 - y0):
            continue
        out.append(i)
    return sorted(out, key=lambda i: lines[i].box[0])


def _below(lines: Sequence[OcrLine], label: Box, page: int, free: Collection[int]) -> list[int]:
    """Lines under the label (sharing some of its width), nearest first."""
    lx0, ly0, lx1, ly1 = label
    height = ly1 - ly0
    out = []
    for i in free:
        line = lines[i]
        x0, y0, x1, y1 = line.box
        if line.page != page or y0 < ly1 - height * 0.3 or overlap(lx0, lx1, x0, x1) <= 0:
            continue
        if y0 - ly1 < BELOW_MAX_HEIGHTS * height:
            out.append(i)
    return sorted(out, key=lambda i: lines[i].box[1])


def in_box(
    lines: Sequence[OcrLine],
    page: int,
    box: Sequence[float],
    scope: Collection[int],
    method: str,
    cut_labels: Sequence[str] = (),
) -> Located | None:
    """The lines whose centre lies in ``box`` (page pixels), clipped to its width, a printed
    label at their start cut off, joined in reading order."""
    x0, y0, x1, y1 = box
    inside = [
        i
        for i in scope
        if lines[i].page == page
        and x0 <= lines[i].centre[0] <= x1
        and y0 <= lines[i].centre[1] <= y1
    ]
    parts = []
    for i in reading_order(lines, inside):
        part = clip(lines[i], i, x0, x1, method)
        if part is None:
            continue
        match = label_match(part.text, cut_labels) if cut_labels else None
        if match is not None:
            part = narrow(part, match[0], len(part.text))
        if part is not None:
            parts.append(part)
    return join(parts, method)


def more_lines(
    lines: Sequence[OcrLine],
    first: Located,
    free: Collection[int],
    count: int,
    until: Sequence[str],
    method: str,
) -> Located:
    """``first`` and up to ``count - 1`` lines right under it (an address printed over several
    lines). The block ends at a wider gap than its own line spacing, at a line that starts with
    one of ``until``, and at a "label: value" line (Tel:, Site:, GST No:)."""
    parts = [first]
    for _ in range(count - 1):
        last = lines[parts[-1].source_lines[-1]]
        used = {j for p in parts for j in p.source_lines}
        below = [
            i
            for i in free
            if i not in used
            and lines[i].page == first.page
            and lines[i].centre[1] > last.centre[1] + 0.5 * last.height
            and lines[i].box[1] - last.box[3] <= NEXT_LINE_GAP * last.height
            and overlap(first.box[0], first.box[2], lines[i].box[0], lines[i].box[2]) > 0
        ]
        if not below:
            break
        nxt = min(below, key=lambda i: (lines[i].box[1], lines[i].box[0]))
        text = lines[nxt].text
        if (until and label_match(text, until)) or _LABEL_LINE.match(text):
            break
        part = piece(lines[nxt], nxt, 0, len(text), method)
        if part is None:
            break
        parts.append(part)
    return join(parts, method) or first


def _column_value(
    lines: Sequence[OcrLine], row: list[int], headers: Sequence[str], page_lines: Collection[int]
) -> int | None:
    """Of the lines in a label's row, the one under the column headed by one of ``headers``: the
    column reaches halfway to the neighbouring headers (figures sit right-aligned under centred
    headers, so the header's own width is too narrow)."""
    if not row:
        return None
    anchors = [
        a
        for a in find_anchors(lines, headers, page_lines)
        if lines[a.line].box[1] < lines[row[0]].box[1]
    ]
    if not anchors:
        return None
    head = lines[max(anchors, key=lambda a: (a.score, -lines[a.line].box[1])).line]
    neighbours = [
        lines[i].box
        for i in page_lines
        if lines[i] is not head and same_row(head.box, lines[i].box)
    ]
    left = max((b[2] for b in neighbours if b[2] <= head.box[0]), default=None)
    right = min((b[0] for b in neighbours if b[0] >= head.box[2]), default=None)
    x0 = (left + head.box[0]) / 2 if left is not None else float("-inf")
    x1 = (head.box[2] + right) / 2 if right is not None else float("inf")
    centre = (head.box[0] + head.box[2]) / 2
    inside = [i for i in row if x0 <= lines[i].centre[0] <= x1]
    return min(inside, key=lambda i: abs(lines[i].centre[0] - centre), default=None)


def by_label(
    lines: Sequence[OcrLine],
    anchor: Anchor,
    loc: Location,
    free: Collection[int],
    page_lines: Collection[int],
    page_width: int,
) -> Located | None:
    """The value of a label found at ``anchor``, as ``loc.value`` says, filtered by its pattern."""
    spec: ValueSpec = loc.value
    line = lines[anchor.line]
    label, page = anchor.box, line.page
    height = max(1, label[3] - label[1])
    if spec.box is not None:
        bx0, by0, bx1, by1 = spec.box
        # Below: from the label's left edge and bottom; right: from its right edge and middle.
        x, y = (
            (label[0], label[3]) if spec.side == "below" else (label[2], (label[1] + label[3]) / 2)
        )
        box = (x + bx0 * height, y + by0 * height, x + bx1 * height, y + by1 * height)
        scope = [i for i in free if i != anchor.line] + [anchor.line]
        found = in_box(lines, page, box, scope, "label_box")
        return with_pattern(found, loc.pattern)
    if spec.side in ("auto", "inline"):
        found = with_pattern(
            piece(line, anchor.line, anchor.consumed, len(line.text), "label_inline"), loc.pattern
        )
        if found is not None or spec.side == "inline":
            return _extend(lines, found, free, loc)
    candidates: list[tuple[list[int], str]] = []
    if spec.side in ("auto", "right"):
        # Under a column header the column decides, however far right it lies.
        reach = page_width if spec.column else RIGHT_MAX_SHARE * page_width
        row = _right_of(lines, label, page, free, reach, loose=bool(spec.column))
        if spec.column:
            chosen = _column_value(lines, row, spec.column, page_lines)
            row = [chosen] if chosen is not None else []
        candidates.append((row, "label_right"))
    if spec.side in ("auto", "below") and not spec.column:
        candidates.append((_below(lines, label, page, free), "label_below"))
    for indices, method in candidates:
        for i in indices:
            value = with_pattern(piece(lines[i], i, 0, len(lines[i].text), method), loc.pattern)
            if value is not None:
                return _extend(lines, value, free, loc)
            if not loc.pattern:
                break
    return None


def _extend(
    lines: Sequence[OcrLine], found: Located | None, free: Collection[int], loc: Location
) -> Located | None:
    if found is None or loc.value.lines <= 1:
        return found
    return more_lines(lines, found, free, loc.value.lines, loc.until, found.method)


def by_region(
    lines: Sequence[OcrLine],
    loc: Location,
    frame: Box,
    scope: Collection[int],
    cut_labels: Sequence[str],
) -> Located | None:
    """The lines in ``loc.region`` (fractions of ``frame``), clipped to it, label cut off."""
    assert loc.region is not None
    box = frame_box(frame, loc.region.box)
    found = in_box(lines, loc.region.page, box, scope, "region", cut_labels)
    return with_pattern(found, loc.pattern)


def by_pattern(
    lines: Sequence[OcrLine], loc: Location, scope: Sequence[int], free: Collection[int]
) -> Located | None:
    """The ``occurrence``-th match of ``loc.pattern`` among the lines of ``scope`` (in reading
    order), cut to the match."""
    assert loc.pattern is not None
    matches = []
    for i in reading_order(lines, list(scope)):
        whole = piece(lines[i], i, 0, len(lines[i].text), "pattern")
        found = with_pattern(whole, loc.pattern)
        if found is not None:
            matches.append(found)
    n = loc.occurrence or 1
    if not -len(matches) <= (n - 1 if n > 0 else n) < len(matches):
        return None
    return _extend(lines, matches[n - 1 if n > 0 else n], free, loc)


# How many lines under the other field a block may start (registration numbers, a branch name
# or the GST number may come first).
AFTER_MAX_SKIP = 4


def after_field(
    lines: Sequence[OcrLine], previous: Located, loc: Location, free: Collection[int]
) -> Located | None:
    """The lines under another field's value (a receipt's address under its shop name): from the
    first of the next few lines that matches ``loc.start`` (any, without it) and is no ``until``
    line, for up to ``loc.value.lines`` lines."""
    height = max(lines[i].height for i in previous.source_lines)
    reach = (previous.box[0] - 2 * height, previous.box[2] + 2 * height)
    below = sorted(
        (
            i
            for i in free
            if lines[i].page == previous.page
            and lines[i].box[1] >= previous.box[3] - 0.3 * height
            and overlap(*reach, lines[i].box[0], lines[i].box[2]) > 0
        ),
        key=lambda i: (lines[i].box[1], lines[i].box[0]),
    )
    for i in below[:AFTER_MAX_SKIP]:
        text = lines[i].text
        if (loc.until and label_match(text, loc.until)) or (
            loc.start and not re.search(loc.start, text)
        ):
            continue
        found = piece(lines[i], i, 0, len(text), "after")
        if found is None:
            continue
        extended = more_lines(lines, found, free, loc.value.lines, loc.until, "after")
        return with_pattern(extended, loc.pattern)
    return None
