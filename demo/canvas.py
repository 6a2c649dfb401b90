"""The drawing surface of one demo bill: every text run it prints is recorded with its box (pure).

Boxes are the ink extent reported by FreeType (``ImageDraw.textbbox``), not the line height, so
they are what a line finder should find. Layouts register field values and labels through
:meth:`Page.value` and :meth:`Page.label`; seals are only described here and drawn by the
renderer, because they count among the degradations.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from recognition.engine import fonts

from .types import field_spec

Box = tuple[int, int, int, int]
Colour = tuple[int, int, int]

INK: Colour = (18, 18, 22)
PEN_BLUE: Colour = (25, 38, 112)

# Printed label fonts are the Song/serif and plain sans faces of real forms; values add the
# faces bank systems and invoice printers use, including one held out from recognition training.
LABEL_FONTS = ("ar-pl-uming", "noto-serif-sc", "noto-sans-sc")
VALUE_FONTS = ("noto-sans-sc", "noto-serif-sc", "ar-pl-uming", "wqy-microhei", "wqy-zenhei")
VALUE_CAP_PX = 23.0
LABEL_CAP_PX = 19.0


@cache
def size_for_cap(font_name: str, cap_px: float, sample: str = "8") -> int:
    """Font size at which ``sample`` is ``cap_px`` tall: faces differ by ~15% at equal sizes."""
    top, bottom = _font(font_name, 200).getbbox(sample)[1::2]
    return math.ceil(cap_px * 200 / (bottom - top))


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return fonts.load_font(fonts.by_name(name), size)


def union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


@dataclass(frozen=True)
class Seal:
    """A red seal to stamp at ``centre``: round (bank business seal) or oval (invoice seal)."""

    shape: str
    centre: tuple[int, int]
    size: tuple[int, int]
    arc_text: str
    middle_text: str
    bottom_text: str


@dataclass
class Style:
    """The fonts one bill is printed in, drawn once per bill."""

    label_font: str
    value_font: str
    label_size: int
    value_size: int

    @classmethod
    def pick(cls, rng: random.Random) -> Style:
        label_font = rng.choice(LABEL_FONTS)
        value_font = rng.choice(VALUE_FONTS)
        return cls(
            label_font,
            value_font,
            size_for_cap(label_font, LABEL_CAP_PX + rng.uniform(0, 2)),
            size_for_cap(value_font, VALUE_CAP_PX + rng.uniform(0, 2)),
        )


@dataclass
class Page:
    """One bill being drawn: the image plus everything printed on it, in page pixels.

    ``rng`` drives every layout choice (jitter, fonts, aliases, handwriting), so a layout that
    draws from it in a fixed order is deterministic.
    """

    code: str
    size: tuple[int, int]
    rng: random.Random
    paper: Colour = (255, 255, 255)
    truth: dict[str, str] = field(default_factory=dict)
    boxes: dict[str, Box] = field(default_factory=dict)
    label_boxes: dict[str, Box] = field(default_factory=dict)
    lines: list[tuple[str, Box]] = field(default_factory=list)
    seals: list[Seal] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.image = Image.new("RGB", self.size, self.paper)
        self.draw = ImageDraw.Draw(self.image)

    # -- fields ---------------------------------------------------------------------------------
    def label_text(self, key: str, *, alias_odds: float = 0.2) -> str:
        """The label a bill prints for ``key``: usually the canonical one, sometimes an alias."""
        spec = field_spec(self.code, key)
        if spec["label_aliases"] and self.rng.random() < alias_odds:
            return self.rng.choice(spec["label_aliases"])
        return spec["label"]

    def value(self, key: str, text: str, box: Box) -> Box:
        self.truth[key] = text
        self.boxes[key] = box
        return box

    def label(self, key: str, box: Box) -> Box:
        self.label_boxes[key] = box
        return box

    def region(self, key: str) -> Box:
        """The pixel box of a region-located field, as declared in the document type."""
        rx0, ry0, rx1, ry1 = field_spec(self.code, key)["region"]["box"]
        w, h = self.size
        return round(rx0 * w), round(ry0 * h), round(rx1 * w), round(ry1 * h)

    # -- text -----------------------------------------------------------------------------------
    def text(
        self,
        xy: tuple[float, float],
        text: str,
        font: str,
        size: int,
        *,
        fill: Colour = INK,
        anchor: str = "lm",
        record: bool = True,
    ) -> Box:
        face = _font(font, size)
        self.draw.text(xy, text, font=face, fill=fill, anchor=anchor)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=face, anchor=anchor)
        box = (round(left), round(top), round(right), round(bottom))
        if record:
            self.lines.append((text, box))
        return box

    def fit_size(self, text: str, font: str, size: int, max_width: float, *, floor: int) -> int:
        """Largest size ≤ ``size`` (and ≥ ``floor``) at which ``text`` fits ``max_width``."""
        while size > floor and _font(font, size).getlength(text) > max_width:
            size -= 1
        return size

    def text_width(self, text: str, font: str, size: int) -> float:
        return _font(font, size).getlength(text)

    def handwrite(
        self,
        xy: tuple[float, float],
        text: str,
        size: int,
        *,
        ink: Colour = PEN_BLUE,
        font: str = "ar-pl-ukai",
        spacing: float = 1.0,
        pitch: float | None = None,
    ) -> Box:
        """Pen-written ``text`` with its baseline at ``xy``: each character varies in size
        (±8%), baseline (±2 px) and slant, as a hand does. ``pitch`` puts one character per
        fixed-width box (ID numbers written into printed squares)."""
        x, baseline = xy
        rng = self.rng
        start, slope = x, rng.uniform(-0.012, 0.012)
        shade = rng.randrange(-12, 13)
        colour = tuple(max(0, min(255, c + shade)) for c in ink)
        boxes = []
        for ch in text:
            face = _font(font, round(size * rng.uniform(0.92, 1.08)))
            if ch == " ":
                x += face.getlength(ch) * spacing
                continue
            left, top, right, bottom = (round(v) for v in face.getbbox(ch, anchor="ls"))
            pad = 4
            glyph = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
            ImageDraw.Draw(glyph).text(
                (pad - left, pad - top), ch, font=face, fill=255, anchor="ls"
            )
            glyph = glyph.rotate(rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=True)
            centring = (pitch - face.getlength(ch)) / 2 if pitch else 0
            gx = round(x + left - pad + centring)
            gy = round(baseline + slope * (x - start) + rng.uniform(-2, 2) + top - pad)
            gx -= (glyph.width - (right - left + 2 * pad)) // 2
            gy -= (glyph.height - (bottom - top + 2 * pad)) // 2
            self.image.paste(colour, (gx, gy), glyph)
            ink_box = glyph.getbbox()
            if ink_box:
                boxes.append((gx + ink_box[0], gy + ink_box[1], gx + ink_box[2], gy + ink_box[3]))
            x += pitch if pitch else face.getlength(ch) * spacing * rng.uniform(0.97, 1.08)
        box = union(boxes)
        self.lines.append((text, box))
        return box

    # -- rules and boxes ------------------------------------------------------------------------
    def hline(self, x0: float, x1: float, y: float, colour: Colour, width: int = 2) -> None:
        self.draw.line([(x0, y), (x1, y)], fill=colour, width=width)

    def vline(self, x: float, y0: float, y1: float, colour: Colour, width: int = 2) -> None:
        self.draw.line([(x, y0), (x, y1)], fill=colour, width=width)

    def rect(self, box: Box, colour: Colour, width: int = 2, fill: Colour | None = None) -> None:
        self.draw.rectangle(box, outline=colour, width=width, fill=fill)

    def jitter(self, amount: float) -> int:
        return round(self.rng.uniform(-amount, amount))
