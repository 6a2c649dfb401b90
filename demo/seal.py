"""Red seals (公章): the round bank business seal and the oval invoice seal (pure).

A seal is drawn as a grey mask (ring, text along the arc, star or tax number, name of the seal),
given an uneven ink texture, and multiplied onto the page, so the print under it stays dark and
readable through the red as on a real stamped bill.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from recognition.engine import fonts

from .canvas import Seal

SEAL_RED = np.array((205, 32, 38), np.float32)
_SEAL_FONT = "noto-serif-sc-bold"


def _face(size: int) -> ImageFont.FreeTypeFont:
    return fonts.load_font(fonts.by_name(_SEAL_FONT), max(8, size))


def _glyph(ch: str, size: int, angle_deg: float) -> Image.Image:
    side = size * 2
    img = Image.new("L", (side, side), 0)
    ImageDraw.Draw(img).text((side / 2, side / 2), ch, font=_face(size), fill=255, anchor="mm")
    return img.rotate(-angle_deg, resample=Image.Resampling.BICUBIC)


def _arc_text(mask: Image.Image, text: str, a: float, b: float, size: int) -> None:
    """Characters around the upper part of an ellipse with radii ``a``, ``b``, each upright to
    the curve; φ runs clockwise from the top."""
    cx, cy = mask.width / 2, mask.height / 2
    step = size * 1.12 / ((a + b) / 2)
    span = min(math.radians(250), step * (len(text) - 1))
    for i, ch in enumerate(text):
        phi = -span / 2 + (span * i / (len(text) - 1) if len(text) > 1 else 0.0)
        x, y = cx + a * math.sin(phi), cy - b * math.cos(phi)
        tangent = math.degrees(math.atan2(b * math.sin(phi), a * math.cos(phi)))
        glyph = _glyph(ch, size, tangent)
        mask.paste(255, (round(x - glyph.width / 2), round(y - glyph.height / 2)), glyph)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.38
        theta = math.pi * i / 5 - math.pi / 2
        points.append((cx + radius * math.cos(theta), cy + radius * math.sin(theta)))
    draw.polygon(points, fill=255)


def seal_mask(seal: Seal) -> Image.Image:
    w, h = seal.size
    mask = Image.new("L", (w + 8, h + 8), 0)
    draw = ImageDraw.Draw(mask)
    ring = max(3, round(min(w, h) * (0.035 if seal.shape == "round" else 0.03)))
    draw.ellipse((4, 4, w + 4, h + 4), outline=255, width=ring)
    cx, cy = mask.width / 2, mask.height / 2
    if seal.shape == "round":
        size = round(w * 0.13)
        _arc_text(mask, seal.arc_text, w / 2 - ring - size * 0.75, h / 2 - ring - size * 0.75, size)
        _star(draw, cx, cy, w * 0.15)
        bottom = _face(round(min(w * 0.085, w * 0.6 / max(1, len(seal.bottom_text)))))
        draw.text((cx, cy + h * 0.29), seal.bottom_text, font=bottom, fill=255, anchor="mm")
    else:
        size = round(h * 0.15)
        _arc_text(mask, seal.arc_text, w / 2 - ring - size * 0.8, h / 2 - ring - size * 0.8, size)
        draw.ellipse(
            (cx - w * 0.36, cy - h * 0.11, cx + w * 0.36, cy + h * 0.11), outline=255, width=2
        )
        middle = _face(round(h * 0.1))
        squeeze = min(1.0, w * 0.66 / middle.getlength(seal.middle_text))
        strip = Image.new("L", (round(middle.getlength(seal.middle_text)) + 4, round(h * 0.14)), 0)
        ImageDraw.Draw(strip).text(
            (2, strip.height / 2), seal.middle_text, font=middle, fill=255, anchor="lm"
        )
        strip = strip.resize((max(1, round(strip.width * squeeze)), strip.height))
        mask.paste(255, (round(cx - strip.width / 2), round(cy - strip.height / 2)), strip)
        draw.text(
            (cx, cy + h * 0.3), seal.bottom_text, font=_face(round(h * 0.12)), fill=255, anchor="mm"
        )
    return mask


def stamp(image: Image.Image, seal: Seal, rng: random.Random) -> Image.Image:
    """``image`` with the seal multiplied on at a slight angle, with uneven ink."""
    mask = seal_mask(seal).rotate(rng.uniform(-18, 18), resample=Image.Resampling.BICUBIC)
    alpha = np.asarray(mask, np.float32) / 255
    nrng = np.random.default_rng(rng.randrange(2**32))
    coarse = nrng.uniform(0.45, 1.0, (6, 6)).astype(np.float32)
    texture = np.asarray(
        cv2.resize(coarse, alpha.shape[::-1], interpolation=cv2.INTER_CUBIC), np.float32
    )
    texture[nrng.random(alpha.shape) < 0.05] *= 0.3
    alpha = np.clip(alpha * texture * rng.uniform(0.75, 0.95), 0, 1)
    page = np.asarray(image).copy()
    x0 = seal.centre[0] - mask.width // 2
    y0 = seal.centre[1] - mask.height // 2
    px0, py0 = max(0, x0), max(0, y0)
    px1, py1 = min(page.shape[1], x0 + mask.width), min(page.shape[0], y0 + mask.height)
    a = alpha[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0, None]
    crop = page[py0:py1, px0:px1].astype(np.float32)
    page[py0:py1, px0:px1] = crop * (1 - a * (1 - SEAL_RED / 255))
    return Image.fromarray(page)
