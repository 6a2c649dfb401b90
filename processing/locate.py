"""Find each field's value among the recognised lines of a document (pure; no ORM).

Per field spec, as its location says (``documents.rules.location``):

- **by label** (the default): the line that starts with the field's label or an alias
  ("客户姓名：张伟" → 张伟), else the nearest line right of the label on its row, else the line
  just below it; or a value box given relative to the label in line heights, or the cell under
  a column header on the label's row. The label is chosen over the whole page: an exact reading
  beats one with a slip, a longer label beats a shorter one, and a line anchors only the fields
  whose label it matches best (two fields never claim one line unless one is declared
  ``shared``). A field may be scoped to a section of the page (the seller's block, found by its
  anchor) or to the n-th printing of its label in reading order.
- **by region**: the lines whose centre lies in a box given relative to a frame (the page, the
  box around the text, or the outer border of the form table), clipped to it.
- **by pattern**: the n-th match of a regular expression in reading order.
- **after** another field: the lines right under that field's value.

A type may declare layout variants; each page takes the variant whose anchors it shows, and a
field's location for that variant. Where nothing is found, the location's fallbacks are tried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from documents.rules.location import Layout, Location, RegionSpec

from .labels import Anchor, Encoder, find_anchors
from .layout import frames_of, sections_of, variant_of
from .ocrlines import Box, Located, OcrLine, reading_order
from .values import after_field, by_label, by_pattern, by_region

__all__ = ["Encoder", "Located", "OcrLine", "SpecView", "locate_fields"]


@dataclass(frozen=True)
class SpecView:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    region: dict | None = None  # page-relative region of older types: {"page": 0, "box": [...]}
    location: Location = field(default_factory=Location)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)

    def location_for(self, variant: str | None) -> Location:
        if self.region and self.location.by == "label" and self.location.region is None:
            box = tuple(float(v) for v in self.region["box"])
            region = RegionSpec(box, int(self.region.get("page", 0)), "page")  # type: ignore[arg-type]
            return Location(by="region", region=region)
        return self.location.for_variant(variant)


@dataclass
class _Page:
    index: int
    lines: list[int]  # reading order
    frames: dict[str, Box]
    sections: dict[str, set[int]]
    variant: str | None
    width: int


def _label_locations(spec: SpecView, variants: Sequence[str | None]) -> list[Location]:
    out = []
    for variant in variants:
        loc = spec.location_for(variant)
        out += [x for x in (loc, *loc.fallback) if x.by == "label"]
    return out


class _Locator:
    def __init__(
        self,
        specs: Sequence[SpecView],
        lines: Sequence[OcrLine],
        pages: list[_Page],
        encode: Encoder | None,
        frame: str,
    ) -> None:
        self.specs, self.lines, self.pages, self.frame = specs, lines, pages, frame
        self.found: dict[str, Located | None] = {s.key: None for s in specs}
        self.candidates: dict[str, list[Anchor]] = {}
        self.anchored: set[int] = set()  # lines chosen as a label
        self.taken: set[int] = set()  # label lines and values: never another field's value
        variants = sorted({p.variant for p in pages}, key=str)
        every = [line for p in pages for line in p.lines]
        best: dict[int, tuple[int, int]] = {}
        for spec in specs:
            locs = _label_locations(spec, variants)
            if not locs:
                continue
            anchors = find_anchors(lines, spec.labels, every, encode=encode)
            self.candidates[spec.key] = anchors
            if not any(loc.shared for loc in locs):
                for a in anchors:
                    best[a.line] = max(best.get(a.line, a.score), a.score)
        # A line anchors only the specs whose label it matches best (金额 never takes the line of
        # 金额（大写）); specs that tie (名称 of buyer and seller) split it by section or order.
        for spec in specs:
            shared = any(loc.shared for loc in _label_locations(spec, variants))
            kept = [
                a
                for a in self.candidates.get(spec.key, [])
                if shared or a.score >= best.get(a.line, a.score)
            ]
            self.candidates[spec.key] = kept
            self.taken |= {a.line for a in kept}

    def run(self) -> dict[str, Located | None]:
        later = [s for s in self.specs if self._needs_other(s)]
        for spec in [s for s in self.specs if s not in later] + later:
            for page in self.pages:
                loc = spec.location_for(page.variant)
                for attempt in (loc, *loc.fallback):
                    found = self._attempt(spec, attempt, page)
                    if found is not None:
                        self.found[spec.key] = found
                        if attempt.by != "region":
                            self.taken |= set(found.source_lines)
                        break
                if self.found[spec.key] is not None:
                    break
        return self.found

    def _needs_other(self, spec: SpecView) -> bool:
        locs = [spec.location, *spec.location.fallback, *spec.location.variants.values()]
        return any(loc.by == "after" for loc in locs)

    def _scope(self, loc: Location, page: _Page) -> list[int]:
        if loc.section is None:
            return page.lines
        members = page.sections.get(loc.section, set())
        return [i for i in page.lines if i in members]

    def _attempt(self, spec: SpecView, loc: Location, page: _Page) -> Located | None:
        scope = self._scope(loc, page)
        free = [i for i in scope if i not in self.taken]
        if loc.by == "region":
            if loc.region is None or loc.region.page != page.index:
                return None
            frame = page.frames[loc.region.frame or self.frame]
            return by_region(self.lines, loc, frame, page.lines, spec.labels)
        if loc.by == "pattern":
            values = {i for f in self.found.values() if f is not None for i in f.source_lines}
            return by_pattern(self.lines, loc, [i for i in scope if i not in values], free)
        if loc.by == "after":
            previous = self.found.get(loc.after or "")
            if previous is None or previous.page != page.index:
                return None
            return after_field(
                self.lines, previous, loc, [i for i in page.lines if i not in self.taken]
            )
        return self._by_label(spec, loc, page, scope)

    def _by_label(
        self, spec: SpecView, loc: Location, page: _Page, scope: list[int]
    ) -> Located | None:
        in_scope = set(scope)
        anchors = [a for a in self.candidates.get(spec.key, []) if a.line in in_scope]
        position = {i: n for n, i in enumerate(page.lines)}
        if loc.occurrence is not None:
            anchors.sort(key=lambda a: position[a.line])
            n = loc.occurrence
            if not -len(anchors) <= (n - 1 if n > 0 else n) < len(anchors):
                return None
            anchors = [anchors[n - 1 if n > 0 else n]]
        else:
            anchors.sort(key=lambda a: (-a.score[0], -a.score[1], position[a.line]))
        free = [i for i in page.lines if i not in self.taken]
        for anchor in anchors:
            if anchor.line in self.anchored and not loc.shared:
                continue
            value = by_label(self.lines, anchor, loc, free, page.lines, page.width)
            if value is not None:
                self.anchored.add(anchor.line)
                return value
        return None


def locate_fields(
    specs: Sequence[SpecView],
    lines: Sequence[OcrLine],
    page_sizes: Sequence[tuple[int, int]],
    *,
    encode: Encoder | None = None,
    layout: Layout | None = None,
    frames: Sequence[Mapping[str, Box]] | None = None,
) -> dict[str, Located | None]:
    """Value location of every spec; None where the field could not be found.

    ``encode`` (the general model's charset encoder) enables label spotting on lines that carry
    their CTC scores; ``frames`` gives, per page, frames found in its image (``table``).
    """
    layout = layout or Layout()
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(i)
    pages = []
    for index, size in enumerate(page_sizes):
        indices = reading_order(lines, by_page.get(index, []))
        found = frames[index] if frames is not None and index < len(frames) else None
        pages.append(
            _Page(
                index=index,
                lines=indices,
                frames=frames_of(lines, index, size, found),
                sections=sections_of(lines, indices, layout.sections) if layout.sections else {},
                variant=variant_of(lines, indices, layout),
                width=size[0],
            )
        )
    return _Locator(specs, lines, pages, encode, layout.frame).run()
