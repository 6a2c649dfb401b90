"""Synthetic text-line images with ground truth, for training and held-out evaluation (pure).

Lines are drawn with Pillow in installed CJK/Latin fonts (see fonts.py for the held-out split), from
the bill value generators in textgen.py plus uniformly sampled characters so that every class of the
charset is seen, then degraded the way scans and phone photos of bills are: blur, noise, JPEG, small
rotation, uneven light, low contrast, red stamps, faded thermal print, slivers of neighbouring lines
and table borders. Held-out sets add degradations that training never applies
(HELD_OUT_DEGRADATIONS: a phone photo's keystone warp, paper grain with dust, ink bleed and thinned
strokes), so the evaluation measures how the model copes with damage it was not taught. Everything
is deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from . import fonts
from .charset import Charset, fold
from .preprocess import GrayImage, opencv_u8
from .textgen import NUMERIC_CATEGORIES, ValueGenerator

GENERAL_WEIGHTS: Mapping[str, float] = {
    "name": 1.5,
    "id_number": 0.6,
    "amount": 0.6,
    "amount_words": 1.0,
    "date": 0.6,
    "account": 0.4,
    "phone": 0.4,
    "document_number": 0.3,
    "company": 1.5,
    "address": 1.5,
    "credit_code": 0.5,
    "label_value": 2.0,
    "text_zh": 1.0,
    "text_en": 1.5,
    "chars_zh": 3.0,
    "chars_any": 0.8,
}
# The general evaluation set holds bill-field lines only: the uniformly sampled characters that
# training adds for coverage are not something a bill carries.
BILL_FIELD_WEIGHTS: Mapping[str, float] = {
    k: v for k, v in GENERAL_WEIGHTS.items() if k not in ("chars_zh", "chars_any")
}
NUMERIC_WEIGHTS: Mapping[str, float] = {
    "id_number": 1.0,
    "amount": 1.5,
    "date": 1.2,
    "account": 1.0,
    "phone": 0.8,
    "document_number": 0.6,
}


@dataclass(frozen=True)
class SynthLine:
    image: GrayImage  # grayscale, any size
    text: str  # folded ground truth
    category: str
    font: str


class TextSampler:
    """Draws (category, text) pairs whose every character is in ``charset``."""

    def __init__(self, charset: Charset, weights: Mapping[str, float], seed: int) -> None:
        self.charset = charset
        self.rng = random.Random(seed)
        self.values = ValueGenerator(seed)
        self.generators = self.values.generators()
        self.categories = [c for c in weights if c in self.generators or c.startswith("chars_")]
        self.weights = [weights[c] for c in self.categories]
        self.hanzi = [c for c in charset.chars if ord(c) >= 0x3400]
        self.all_chars = [c for c in charset.chars if c != " "]

    def sample(self, max_chars: int | None = None) -> tuple[str, str]:
        for _ in range(50):
            category = self.rng.choices(self.categories, self.weights)[0]
            text = fold(self._text(category))
            if max_chars is not None and len(text) > max_chars:
                start = self.rng.randrange(len(text) - max_chars + 1)
                text = text[start : start + max_chars].strip()
            if text and self.charset.covers(text):
                return category, text
        raise RuntimeError("could not draw a line covered by the charset")

    def _text(self, category: str) -> str:
        if category == "chars_zh":
            return "".join(self.rng.choices(self.hanzi, k=self.rng.randrange(2, 13)))
        if category == "chars_any":
            return "".join(self.rng.choices(self.all_chars, k=self.rng.randrange(2, 13)))
        return self.generators[category]()


def _is_latin(text: str) -> bool:
    return all(ord(c) < 0x250 for c in text)


def render_text(
    text: str, font_spec: fonts.FontSpec, rng: random.Random, *, size: int | None = None
) -> GrayImage:
    """Draw ``text`` dark-on-light with random size, tracking, weight and margins."""
    size = size or rng.randrange(22, 44)
    font = fonts.load_font(font_spec, size)
    ascent, descent = font.getmetrics()
    tracking = rng.choice((0, 0, 0, rng.uniform(0.02, 0.12), rng.uniform(0.15, 0.6))) * size
    stroke = 1 if rng.random() < 0.08 else 0
    advances = [font.getlength(c) + tracking for c in text]
    width = int(sum(advances) - tracking) + 2 * stroke + 2
    ml, mr = rng.randrange(1, max(2, size // 2)), rng.randrange(1, max(2, size // 2))
    mt, mb = rng.randrange(0, max(1, size // 4)), rng.randrange(0, max(1, size // 4))
    paper = rng.randrange(170, 256)
    ink = rng.randrange(0, max(1, min(100, paper - 90)))
    img = Image.new("L", (width + ml + mr, ascent + descent + mt + mb), paper)
    draw = ImageDraw.Draw(img)
    if tracking == 0:
        draw.text((ml, mt), text, font=font, fill=ink, stroke_width=stroke, stroke_fill=ink)
    else:
        x = float(ml)
        for ch, adv in zip(text, advances):
            draw.text((x, mt), ch, font=font, fill=ink, stroke_width=stroke, stroke_fill=ink)
            x += adv
    return np.asarray(img)


# -- degradations: each takes and returns a uint8 gray image -------------------------------------


def _rotate_small(img: GrayImage, rng: random.Random) -> GrayImage:
    h, w = img.shape
    angle = rng.uniform(-2.0, 2.0)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return opencv_u8(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def _shear(img: GrayImage, rng: random.Random) -> GrayImage:
    h, w = img.shape
    k = rng.uniform(-0.25, 0.25)
    m = np.array([[1, k, -k * h / 2], [0, 1, 0]], np.float32)
    return opencv_u8(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def _blur(img: GrayImage, rng: random.Random) -> GrayImage:
    return opencv_u8(cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.3)))


def _low_resolution(img: GrayImage, rng: random.Random) -> GrayImage:
    h, w = img.shape
    f = rng.uniform(0.35, 0.7)
    small = cv2.resize(img, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    return opencv_u8(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR))


def _noise(img: GrayImage, rng: random.Random) -> GrayImage:
    nrng = np.random.default_rng(rng.randrange(2**32))
    noise = nrng.normal(0, rng.uniform(3, 14), img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def _jpeg(img: GrayImage, rng: random.Random) -> GrayImage:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randrange(15, 80)])
    decoded = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE) if ok else None
    return img if decoded is None else opencv_u8(decoded)


def _uneven_light(img: GrayImage, rng: random.Random) -> GrayImage:
    h, w = img.shape
    xs = np.linspace(rng.uniform(0.55, 1.0), rng.uniform(0.55, 1.0), w, dtype=np.float32)
    ys = np.linspace(rng.uniform(0.8, 1.0), rng.uniform(0.8, 1.0), h, dtype=np.float32)
    lit: npt.NDArray[np.float32] = img * ys[:, None] * xs[None, :]
    return np.clip(lit, 0, 255).astype(np.uint8)


def _low_contrast(img: GrayImage, rng: random.Random) -> GrayImage:
    lo, hi = rng.uniform(60, 110), rng.uniform(190, 250)
    return (lo + img.astype(np.float32) * (hi - lo) / 255).astype(np.uint8)


def _stamp(img: GrayImage, rng: random.Random) -> GrayImage:
    """A red seal seen in grayscale: a mid-gray ring and strokes over part of the line."""
    h, w = img.shape
    out = img.copy()
    r = int(h * rng.uniform(0.8, 2.0))
    cx, cy = rng.randrange(0, w), rng.randrange(-r // 2, h + r // 2)
    tone = rng.randrange(100, 170)
    cv2.circle(out, (cx, cy), r, tone, max(1, h // 14), lineType=cv2.LINE_AA)
    cv2.circle(out, (cx, cy), int(r * 0.82), tone, 1, lineType=cv2.LINE_AA)
    mask = out == tone
    blend: GrayImage = np.minimum(img, out)
    blend[mask] = np.minimum(img[mask], tone)
    return blend


def _thermal_fade(img: GrayImage, rng: random.Random) -> GrayImage:
    h, w = img.shape
    fade = np.ones(w, np.float32)
    for _ in range(rng.randrange(1, 4)):
        x0 = rng.randrange(w)
        span = rng.randrange(max(2, w // 10), max(3, w // 2))
        fade[x0 : x0 + span] *= rng.uniform(0.4, 0.8)
    # Overlapping bands multiply; below ~40 % of its ink a printed digit is gone for a person too,
    # and an unreadable line is label noise, not a lesson.
    fade = np.maximum(fade, 0.4)
    ink = 255 - img.astype(np.float32)
    speck = np.random.default_rng(rng.randrange(2**32)).random(img.shape) < rng.uniform(0, 0.04)
    ink = ink * fade[None, :]
    ink[speck] *= 0.2
    return (255 - ink).astype(np.uint8)


def _border(img: GrayImage, rng: random.Random) -> GrayImage:
    """Table ruling caught at the crop's edge."""
    out = img.copy()
    h, w = out.shape
    tone = rng.randrange(0, 120)
    side = rng.choice(("top", "bottom", "left", "right"))
    t = rng.randrange(1, 3)
    if side == "top":
        out[:t, :] = tone
    elif side == "bottom":
        out[h - t :, :] = tone
    elif side == "left":
        out[:, :t] = tone
    else:
        out[:, w - t :] = tone
    return out


Degradation = Callable[[GrayImage, random.Random], GrayImage]

DEGRADATIONS: tuple[tuple[Degradation, float], ...] = (
    (_rotate_small, 0.35),
    (_shear, 0.1),
    (_stamp, 0.08),
    (_border, 0.12),
    (_thermal_fade, 0.12),
    (_uneven_light, 0.25),
    (_low_contrast, 0.2),
    (_blur, 0.3),
    (_low_resolution, 0.2),
    (_noise, 0.3),
    (_jpeg, 0.3),
)


def _keystone(img: GrayImage, rng: random.Random) -> GrayImage:
    """A line photographed slightly off-axis: one end taller than the other."""
    h, w = img.shape
    d = h * rng.uniform(0.05, 0.15)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    if rng.random() < 0.5:
        dst = np.array([[0, d], [w, 0], [w, h], [0, h - d]], np.float32)
    else:
        dst = np.array([[0, 0], [w, d], [w, h - d], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return opencv_u8(cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def _paper_grain(img: GrayImage, rng: random.Random) -> GrayImage:
    """Recycled-paper fibre texture and a few dark dust specks."""
    nrng = np.random.default_rng(rng.randrange(2**32))
    h, w = img.shape
    blurred = cv2.GaussianBlur(nrng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.5)
    grain: npt.NDArray[np.float32] = blurred * (
        rng.uniform(10, 25) / max(1e-6, float(np.abs(blurred).max()))
    )
    out = img.astype(np.float32) - np.abs(grain)
    for _ in range(rng.randrange(1, 6)):
        cv2.circle(out, (rng.randrange(w), rng.randrange(h)), rng.randrange(1, 3), 40, -1)
    return np.clip(out, 0, 255).astype(np.uint8)


def _ink_weight(img: GrayImage, rng: random.Random) -> GrayImage:
    """Ink that bled into the paper (thicker strokes) or a worn ribbon (thinner ones)."""
    kernel = np.ones((2, 2), np.uint8)
    return opencv_u8(cv2.erode(img, kernel) if rng.random() < 0.5 else cv2.dilate(img, kernel))


HELD_OUT_DEGRADATIONS: tuple[tuple[Degradation, float], ...] = (
    (_keystone, 0.2),
    (_paper_grain, 0.2),
    (_ink_weight, 0.2),
)


def add_neighbour_sliver(img: GrayImage, other: GrayImage, rng: random.Random) -> GrayImage:
    """Stack a strip of another line's bottom (or top) onto this one, as loose real boxes do."""
    h, w = img.shape
    other = opencv_u8(cv2.resize(other, (w, int(other.shape[0] * w / max(1, other.shape[1])) or 1)))
    part = max(1, int(h * rng.uniform(0.08, 0.25)))
    if rng.random() < 0.5:
        strip = other[-part:, :]
        return np.vstack([strip, img])
    return np.vstack([img, other[:part, :]])


def degrade(
    img: GrayImage, rng: random.Random, *, strength: float = 1.0, held_out: bool = False
) -> GrayImage:
    chain = HELD_OUT_DEGRADATIONS + DEGRADATIONS if held_out else DEGRADATIONS
    for fn, p in chain:
        if rng.random() < p * strength:
            img = fn(img, rng)
    return img


class LineSynth:
    """Endless, seeded stream of degraded line images for one model and one font split."""

    def __init__(
        self,
        charset: Charset,
        *,
        numeric: bool,
        held_out: bool = False,
        seed: int = 0,
        strength: float = 1.0,
        weights: Mapping[str, float] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.texts = TextSampler(
            charset, weights or (NUMERIC_WEIGHTS if numeric else GENERAL_WEIGHTS), seed
        )
        self.cjk_fonts = fonts.available(held_out=held_out, cjk=True)
        self.latin_fonts = fonts.available(held_out=held_out, cjk=False)
        if not self.cjk_fonts:
            raise fonts.FontMissing(
                "no CJK font installed for this split: run scripts/bootstrap.sh"
            )
        self.strength = strength
        self.held_out = held_out

    def _font_for(self, text: str) -> fonts.FontSpec:
        if _is_latin(text) and self.latin_fonts and self.rng.random() < 0.5:
            return self.rng.choice(self.latin_fonts)
        return self.rng.choice(self.cjk_fonts)

    def sample(self, max_chars: int | None = None) -> SynthLine:
        category, text = self.texts.sample(max_chars)
        font = self._font_for(text)
        img = render_text(text, font, self.rng)
        if self.strength > 0:
            if self.rng.random() < 0.1 * self.strength:
                _, other = self.texts.sample(max_chars)
                img = add_neighbour_sliver(img, render_text(other, font, self.rng), self.rng)
            img = degrade(img, self.rng, strength=self.strength, held_out=self.held_out)
        return SynthLine(img, text, category, font.name)

    def __iter__(self) -> Iterator[SynthLine]:
        while True:
            yield self.sample()


def numeric_only(categories: tuple[str, ...] = NUMERIC_CATEGORIES) -> dict[str, float]:
    return {c: NUMERIC_WEIGHTS.get(c, 1.0) for c in categories}


def write_line_set(
    out_dir: str | Path,
    charset: Charset,
    *,
    numeric: bool,
    n: int,
    seed: int,
    held_out: bool = True,
    weights: Mapping[str, float] | None = None,
) -> Path:
    """Write ``n`` lines as PNG crops plus ``labels.tsv`` (path, text, category, font).

    With the default held-out fonts, held-out degradations, bill-field categories and a fixed seed
    this is the project's synthetic evaluation set: regenerated byte-for-byte identically on any
    machine with the same fonts installed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if weights is None and not numeric:
        weights = BILL_FIELD_WEIGHTS
    synth = LineSynth(charset, numeric=numeric, held_out=held_out, seed=seed, weights=weights)
    rows = []
    for i in range(n):
        line = synth.sample()
        name = f"{i:05d}.png"
        cv2.imwrite(str(out / name), line.image)
        rows.append(f"{name}\t{line.text}\t{line.category}\t{line.font}\n")
    (out / "labels.tsv").write_text("".join(rows), encoding="utf-8")
    return out
