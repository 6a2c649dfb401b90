"""Where a field's value lies on the page, as configured on a type (pure): the JSON an admin writes
in ``FieldSpec.location`` and ``DocumentType.layout``, parsed into frozen dataclasses that
``processing.locate`` follows. Parsing refuses anything it would not understand, with a message
that says where.

``FieldSpec.location`` (every key optional)::

    {"by": "label",                 # label (default) | pattern | region | after
     "section": "seller",           # only inside this section of the layout
     "occurrence": 2,               # the 2nd printing of the label in reading order (-1: last)
     "shared": false,               # true: may anchor on a line another field anchors on too
     "value": {"side": "right",     # auto (inline, else right, else below) | inline | right | below
               "box": [0, -0.5, 12, 0.5],   # in label line heights, from the label's right edge
               "lines": 1,          # join up to n lines (an address over two lines)
               "column": ["金额"]},  # on the label's row, under this column header
     "pattern": "\\\\d{20}",          # the value is the first match of this in the found text
     "region": {"frame": "table", "box": [0.6, 0.0, 1.0, 0.2]},   # by region, in frame fractions
     "after": "company",            # by after: the lines right below that field's value
     "start": "^(NO|LOT|\\d)",       # ... from the first of the next lines matching this
     "until": ["TEL", "GST"],       # ... up to a line starting with one of these
     "fallback": [{...}],           # tried in order when nothing is found
     "variants": {"old": {...}}}    # a whole other location on pages of layout variant "old"

``DocumentType.layout``::

    {"frame": "table",                               # of regions: page | content | table
     "sections": {"buyer": ["购买方", "购"], "seller": ["销售方", "销"]},
     "variants": [{"name": "digital", "anchors": ["统一社会信用代码"]}, ...]}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from documents.rules.options import RuleConfigError

Box = tuple[float, float, float, float]
FRAMES = ("page", "content", "table")
SIDES = ("auto", "inline", "right", "below")
MODES = ("label", "pattern", "region", "after")


@dataclass(frozen=True)
class ValueSpec:
    side: Literal["auto", "inline", "right", "below"] = "auto"
    box: Box | None = None
    lines: int = 1
    column: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionSpec:
    box: Box
    page: int = 0
    frame: Literal["page", "content", "table"] | None = None  # None: the layout's frame


@dataclass(frozen=True)
class Location:
    by: Literal["label", "pattern", "region", "after"] = "label"
    section: str | None = None
    occurrence: int | None = None
    shared: bool = False
    value: ValueSpec = ValueSpec()
    pattern: str | None = None
    region: RegionSpec | None = None
    after: str | None = None
    start: str | None = None
    until: tuple[str, ...] = ()
    fallback: tuple[Location, ...] = ()
    variants: Mapping[str, Location] = field(default_factory=dict)

    def for_variant(self, variant: str | None) -> Location:
        return self.variants.get(variant, self) if variant else self

    def every(self) -> list[Location]:
        """This location, its fallbacks and its variants' (with theirs)."""
        out = [self, *self.fallback]
        for variant in self.variants.values():
            out += [variant, *variant.fallback]
        return out


@dataclass(frozen=True)
class Variant:
    name: str
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    frame: Literal["page", "content", "table"] = "page"  # of regions that name none
    sections: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    variants: tuple[Variant, ...] = ()


def _fail(where: str, message: str) -> RuleConfigError:
    return RuleConfigError(f"{where}: {message}" if where else message)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"must be an object, got {value!r}")
    return value


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(where, f"must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _box(value: Any, where: str, *, low: float, high: float) -> Box:
    if (
        not isinstance(value, (list, tuple))
        or len(value) != 4
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
    ):
        raise _fail(where, f"must be [x0, y0, x1, y1], got {value!r}")
    x0, y0, x1, y1 = (float(v) for v in value)
    if not (x0 < x1 and y0 < y1) or min(x0, y0) < low or max(x1, y1) > high:
        raise _fail(where, f"needs x0 < x1 and y0 < y1 within {low:g}..{high:g}, got {value!r}")
    return (x0, y0, x1, y1)


def _choice(value: Any, choices: tuple[str, ...], where: str) -> Any:
    if value not in choices:
        raise _fail(where, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _int(value: Any, where: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise _fail(where, f"must be at least {minimum}, got {value}")
    return int(value)


def _keys(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")


def parse_value(raw: Any, where: str = "value") -> ValueSpec:
    raw = _mapping(raw, where)
    _keys(raw, {"side", "box", "lines", "column"}, where)
    return ValueSpec(
        side=_choice(raw.get("side", "auto"), SIDES, f"{where}.side"),
        box=_box(raw["box"], f"{where}.box", low=-50, high=200) if "box" in raw else None,
        lines=_int(raw.get("lines", 1), f"{where}.lines", minimum=1),
        column=_strings(raw["column"], f"{where}.column") if "column" in raw else (),
    )


def parse_region(raw: Any, where: str = "region") -> RegionSpec:
    raw = _mapping(raw, where)
    _keys(raw, {"box", "page", "frame"}, where)
    frame = _choice(raw["frame"], FRAMES, f"{where}.frame") if "frame" in raw else None
    # Relative to a frame a region may reach outside it (the invoice code above the table).
    low, high = (0.0, 1.0) if frame == "page" else (-1.0, 2.0)
    if "box" not in raw:
        raise _fail(where, "needs a box")
    return RegionSpec(
        box=_box(raw["box"], f"{where}.box", low=low, high=high),
        page=_int(raw.get("page", 0), f"{where}.page", minimum=0),
        frame=frame,
    )


_LOCATION_KEYS = {
    "by", "section", "occurrence", "shared", "value", "pattern", "region", "after", "start",
    "until", "fallback", "variants",
}  # fmt: skip


def parse_location(raw: Any, where: str = "location", *, nested: bool = False) -> Location:
    """One ``FieldSpec.location`` object (None or {} is the default: by label, auto side)."""
    if raw in (None, ""):
        return Location()
    raw = _mapping(raw, where)
    _keys(raw, _LOCATION_KEYS - ({"fallback", "variants"} if nested else set()), where)
    by = _choice(raw.get("by", "region" if "region" in raw else "label"), MODES, f"{where}.by")
    pattern, start = raw.get("pattern"), raw.get("start")
    for key, value in (("pattern", pattern), ("start", start)):
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise _fail(f"{where}.{key}", f"must be a non-empty string, got {value!r}")
        try:
            re.compile(value)
        except re.error as exc:
            raise _fail(f"{where}.{key}", f"invalid pattern {value!r}: {exc}") from None
    occurrence = raw.get("occurrence")
    if occurrence is not None and _int(occurrence, f"{where}.occurrence") == 0:
        raise _fail(f"{where}.occurrence", "counts from 1 (or from -1 for the last)")
    if not isinstance(raw.get("shared", False), bool):
        raise _fail(f"{where}.shared", "must be true or false")
    for key in ("section", "after"):
        if key in raw and not (isinstance(raw[key], str) and raw[key]):
            raise _fail(f"{where}.{key}", f"must be a non-empty string, got {raw[key]!r}")
    needs = {"pattern": pattern, "region": raw.get("region"), "after": raw.get("after")}
    if by in needs and not needs[by]:
        raise _fail(where, f'"by": "{by}" needs "{by}"')
    fallback = raw.get("fallback", [])
    if not isinstance(fallback, list):
        raise _fail(f"{where}.fallback", "must be a list of locations")
    variants = _mapping(raw.get("variants", {}), f"{where}.variants")
    return Location(
        by=by,
        section=raw.get("section"),
        occurrence=occurrence,
        shared=raw.get("shared", False),
        value=parse_value(raw.get("value", {}), f"{where}.value"),
        pattern=pattern,
        region=parse_region(raw["region"], f"{where}.region") if raw.get("region") else None,
        after=raw.get("after"),
        start=start,
        until=_strings(raw["until"], f"{where}.until") if "until" in raw else (),
        fallback=tuple(
            parse_location(f, f"{where}.fallback[{i}]", nested=True) for i, f in enumerate(fallback)
        ),
        variants={
            str(name): parse_location(v, f"{where}.variants.{name}", nested=True)
            for name, v in variants.items()
        },
    )


def parse_layout(raw: Any, where: str = "layout") -> Layout:
    """One ``DocumentType.layout`` object (None or {}: no sections, one layout, page frame)."""
    if raw in (None, ""):
        return Layout()
    raw = _mapping(raw, where)
    _keys(raw, {"frame", "sections", "variants"}, where)
    sections = _mapping(raw.get("sections", {}), f"{where}.sections")
    variants = raw.get("variants", [])
    if not isinstance(variants, list):
        raise _fail(f"{where}.variants", "must be a list of {name, anchors}")
    parsed = []
    for i, v in enumerate(variants):
        v = _mapping(v, f"{where}.variants[{i}]")
        _keys(v, {"name", "anchors"}, f"{where}.variants[{i}]")
        name = v.get("name")
        if not isinstance(name, str) or not name:
            raise _fail(f"{where}.variants[{i}].name", "must be a non-empty string")
        parsed.append(Variant(name, _strings(v.get("anchors"), f"{where}.variants[{i}].anchors")))
    return Layout(
        frame=_choice(raw.get("frame", "page"), FRAMES, f"{where}.frame"),
        sections={
            str(name): _strings(anchors, f"{where}.sections.{name}")
            for name, anchors in sections.items()
        },
        variants=tuple(parsed),
    )


def check_references(locations: Mapping[str, Location], layout: Layout) -> list[tuple[str, str]]:
    """(field key, problem) for sections, variants and fields a location names that do not exist."""
    problems = []
    variant_names = {v.name for v in layout.variants}
    for key, loc in locations.items():
        for name, sub in [("", loc), *loc.variants.items(), *(("", f) for f in loc.fallback)]:
            if name and name not in variant_names:
                problems.append((key, f"unknown layout variant {name!r}"))
            if sub.section and sub.section not in layout.sections:
                problems.append((key, f"unknown section {sub.section!r}"))
            if sub.after and sub.after not in locations:
                problems.append((key, f"unknown field {sub.after!r} in 'after'"))
    return problems
