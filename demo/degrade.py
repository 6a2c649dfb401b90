"""Whole-page degradations of a rendered bill, as a scanner or a phone camera adds them (pure).

The line-level helpers in ``recognition.engine.synth`` work on small grey crops; these work on
the full RGB page, vectorised, and the geometric one returns its affine matrix so that every
recorded box can follow the pixels.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np

Box = tuple[int, int, int, int]


def rotate(
    page: np.ndarray, angle_deg: float, paper: tuple[int, int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """``page`` turned by ``angle_deg`` (counter-clockwise) about its centre, same size."""
    h, w = page.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    out = cv2.warpAffine(
        page,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=paper,
    )
    return out, matrix


def transform_box(box: Box, matrix: np.ndarray, size: tuple[int, int]) -> Box:
    """Bounding box of the four transformed corners, clipped to the page."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64)
    moved = corners @ matrix.T
    w, h = size
    return (
        max(0, math.floor(moved[:, 0].min())),
        max(0, math.floor(moved[:, 1].min())),
        min(w, math.ceil(moved[:, 0].max())),
        min(h, math.ceil(moved[:, 1].max())),
    )


def paper_and_light(page: np.ndarray, rng: random.Random) -> np.ndarray:
    """Yellowish paper and uneven illumination: one smooth gain field per colour channel,
    computed coarse and upsampled because it has no detail."""
    h, w = page.shape[:2]
    gh, gw = max(2, h // 16), max(2, w // 16)
    tint = np.array(
        (1.0, rng.uniform(0.97, 0.995), rng.uniform(0.88, 0.97)), np.float32
    ) * rng.uniform(0.95, 1.0)
    xs = np.linspace(rng.uniform(0.88, 1.0), rng.uniform(0.88, 1.0), gw, dtype=np.float32)
    ys = np.linspace(rng.uniform(0.93, 1.0), rng.uniform(0.93, 1.0), gh, dtype=np.float32)
    cx, cy = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)
    gx = (np.linspace(0, 1, gw, dtype=np.float32) - cx) ** 2
    gy = (np.linspace(0, 1, gh, dtype=np.float32) - cy) ** 2
    vignette = 1 - rng.uniform(0.0, 0.12) * (gy[:, None] + gx[None, :])
    gain = (ys[:, None] * xs[None, :] * vignette)[:, :, None] * tint
    gain = cv2.resize(
        np.clip(gain * 255, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR
    )
    return cv2.multiply(page, gain, scale=1 / 255)


def blur(page: np.ndarray, rng: random.Random) -> np.ndarray:
    return cv2.GaussianBlur(page, (0, 0), rng.uniform(0.35, 0.75))


def scan_noise(page: np.ndarray, rng: random.Random) -> np.ndarray:
    """Sensor noise, the same on all channels as a grey-ish scanner's, plus a few dust specks."""
    nrng = np.random.default_rng(rng.randrange(2**32))
    h, w = page.shape[:2]
    noise = (nrng.standard_normal((h, w), dtype=np.float32) * rng.uniform(2.0, 6.0)).astype(
        np.int16
    )
    out = page.astype(np.int16)
    out += noise[:, :, None]
    for _ in range(rng.randrange(0, 15)):
        x, y, r = rng.randrange(w), rng.randrange(h), rng.choice((1, 1, 2))
        out[max(0, y - r) : y + r, max(0, x - r) : x + r] -= rng.randrange(60, 160)
    return np.clip(out, 0, 255).astype(np.uint8)


def jpeg(page: np.ndarray, rng: random.Random) -> np.ndarray:
    quality = rng.randrange(55, 90)
    ok, buf = cv2.imencode(".jpg", page[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else None
    return page if decoded is None else decoded[:, :, ::-1].copy()


def photometric(page: np.ndarray, rng: random.Random) -> np.ndarray:
    """Paper and light always; then blur, noise and JPEG each with their odds, in scan order."""
    page = paper_and_light(page, rng)
    if rng.random() < 0.6:
        page = blur(page, rng)
    if rng.random() < 0.8:
        page = scan_noise(page, rng)
    if rng.random() < 0.6:
        page = jpeg(page, rng)
    return page
