"""Text line finding with PaddleOCR's PP-OCRv6 detector (a DB network) on ONNX Runtime (pure).

The same contract as ``lines.find_lines``: a page (gray, BGR or BGRA array) in, axis-aligned
``LineBox``es in reading order out, so the pipeline can use either. Imports onnxruntime, numpy and
OpenCV only (never torch).

The network maps a page to a text probability per pixel, trained on text regions shrunk by
DB's shrink ratio (0.4); the boxes are the connected regions above ``thresh``, kept when their
mean probability reaches ``box_thresh``, then grown back by ``unclip_ratio`` (PaddleOCR's
DBPostProcess). PaddleOCR grows the region's polygon with pyclipper and takes the minimum-area
rectangle around the result; the region here is already that rectangle, and a rectangle offset
by d with round joins has as its minimum-area rectangle the rectangle grown by d on every side,
so plain OpenCV gives the same box.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from ..lines import LineBox, reading_order
from ..onnx_session import serving_session
from ..preprocess import ImageError, check_pixels

Box = tuple[int, int, int, int]
# A column this much taller than wide, and at least VERTICAL_WIDTH line heights wide, is vertical
# text (CJK table headings such as 购买方信息), not a tall Latin glyph such as "1" or "I".
VERTICAL_RATIO, VERTICAL_WIDTH = 1.8, 0.7
# hybrid(): a line finder box joins the detector's when less than this share of its area lies
# under detector boxes.
FILL_COVER = 0.3
# The network's input is never longer than this many times DetectorSettings.max_side.
MAX_STRETCH = 4
BgrImage = npt.NDArray[np.uint8]
ProbMap = npt.NDArray[np.float32]


@dataclass(frozen=True)
class DetectorSettings:
    """Pre- and postprocessing of the detector.

    Preprocessing as the pinned rapidocr wheel's ``config.yaml`` has it for this model file: the
    longer side lowered to at most 2000 px, then the shorter raised to at least 736 px, both
    rounded to multiples of 32 (the network's stride); B, G, R / 255 normalised with mean and std
    0.5. Postprocessing with PaddleOCR's DBPostProcess defaults (thresh 0.3, box_thresh 0.6,
    unclip 1.5, no dilation), not rapidocr's (box_thresh 0.5, unclip 1.6, a 2×2 dilation).

    Chosen between these standard settings on rendered demo bills, never on the sample pages
    (``bench/line_recall.py --detector-settings --synthetic 10 --photo``; recall at IoU ≥ 0.5 on
    30 pages / their photo-like copies; bench/results/detector-settings.md): these 0.779 / 0.812,
    rapidocr's postprocessing 0.715 / 0.770, PaddleOCR's old ``max 960`` resize 0.609 / 0.648,
    ImageNet mean and std at max 960 0.604 / 0.627; the page as it is (PaddleOCR 3) scores the
    same as these on pages already within 736–2000 px. The sample pages only measure the choice
    (bench/results/line-recall.md).
    """

    min_side: int = 736  # shorter side raised to at least this (0: never enlarged)
    max_side: int = 2000  # longer side lowered to at most this
    # Then the whole input lowered to at most this many pixels (0: no cap; OCR_DETECTOR_MAX_PIXELS
    # in the app). The network's activations grow with the pixels: a process holding only the
    # detector peaked at 903 MB on a 12-megapixel photo uncapped (1,984 × 1,504), 635 MB at 2.6 M,
    # 568 MB at 2.3 M; an A4 scan at 150 dpi (2.2 M) 525 MB (bench/detector_memory.py). Rendered
    # demo bills photographed at 12 megapixels: recall 0.769 uncapped, 0.761 at 2.6 M, 0.746 at
    # 2.3 M, 0.734 at 2.0 M, at 3.1, 2.5, 2.2 and 1.9 CPU-s a page (bench/line_recall.py
    # --detector-settings ... --camera; detector-pixels.md). 2.6 M leaves an A4 scan at 150 dpi
    # and every rendered demo bill as they were.
    max_pixels: int = 2_600_000
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)  # per channel of B, G, R / 255
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    thresh: float = 0.3  # pixel probability that counts as text
    box_thresh: float = 0.6  # a region's mean probability needed to keep it
    unclip_ratio: float = 1.5
    dilate: bool = False
    max_candidates: int = 1000
    min_size: int = 3  # regions thinner than this (in map pixels) are dropped
    # Join boxes of one printed line whose gap is under this many line heights (0: never). The
    # detector cuts a line at wide spaces: joining at one height lost 16–29 points of recall on
    # the rendered bills (bench/results/detector-settings.md), so it stays off.
    merge_gap: float = 0.0
    # Cut vertical text (a column at least VERTICAL_RATIO times taller than wide, as wide as a
    # line is high) into one box per character: the recogniser reads horizontal lines only.
    split_vertical: bool = True
    # Run the network on horizontal strips of at most this many input rows (a multiple of 32; 0:
    # the whole input at once), each read with ``strip_margin`` rows of context above and below
    # that are then dropped. The activations, and so the process's peak memory, shrink with the
    # strip; its squeeze-excitation blocks average over the strip instead of the page.
    strip_rows: int = 0
    strip_margin: int = 96


DEFAULT = DetectorSettings()


class TextDetector:
    """Finds text lines with a DB text detector in ONNX. Thread-safe; one per process is enough.

    A page at the network's resolution needs a few hundred MB of activations, in a new size for
    nearly every page: the process's arena would keep them all (a worker reading the 45
    end-to-end bills with the detector grew to 1.3 GB), so each run gives the arena's free
    regions back when it ends (peak 617 MB, 240 MB between pages, at the same speed).
    """

    def __init__(
        self, path: str | Path, *, threads: int = 1, settings: DetectorSettings = DEFAULT
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"ONNX model {self.path} does not exist")
        self.session = serving_session(self.path, threads=threads)
        self._input = self.session.get_inputs()[0].name
        self.settings = settings
        self.run_options = ort.RunOptions()
        self.run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

    def probability(self, page: npt.NDArray[Any]) -> tuple[ProbMap, BgrImage]:
        """The network's text probability map of a page (at the network's input size) and the
        page as BGR uint8. Raises ImageError for arrays that are not images."""
        image = to_bgr(page)
        s = self.settings
        batch = prepare(image, s.min_side, s.max_side, s.mean, s.std, s.max_pixels)
        height = batch.shape[2]
        prob = np.empty((height, batch.shape[3]), np.float32)
        for top, bottom, start, stop in strips(height, s.strip_rows, s.strip_margin):
            out = self.session.run(None, {self._input: batch[:, :, top:bottom]}, self.run_options)
            prob[start:stop] = np.asarray(out[0], dtype=np.float32)[0, 0, start - top : stop - top]
        return prob, image

    def find_lines(self, page: npt.NDArray[Any]) -> list[LineBox]:
        """Line boxes of a page in reading order, as ``lines.find_lines``; [] for a blank page or
        anything that is not an image."""
        try:
            prob, image = self.probability(page)
        except ImageError:
            return []
        h, w = image.shape[:2]
        s = self.settings
        boxes = boxes_from_map(prob, (w, h), s)
        if s.merge_gap > 0:
            boxes = merge_row(boxes, s.merge_gap)
        if s.split_vertical:
            boxes = split_vertical(boxes)
        return reading_order([LineBox(*b) for b in boxes])


def hybrid(detected: Sequence[LineBox], found: Sequence[LineBox]) -> list[LineBox]:
    """The detector's boxes, plus the OpenCV line finder's boxes where the detector found
    nothing (under FILL_COVER of their area covered): short marks it drops, such as a lone
    quantity "1"; in reading order."""
    covered = [b.as_tuple() for b in detected]
    extra = [
        b
        for b in found
        if sum(_intersection(b.as_tuple(), d) for d in covered) < FILL_COVER * max(1, _area(b))
    ]
    return reading_order([*detected, *extra])


def _area(box: LineBox) -> int:
    return box.width * box.height


def _intersection(a: Box, b: Box) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def to_bgr(page: npt.NDArray[Any]) -> BgrImage:
    """uint8 BGR from gray, BGR or BGRA input of any numeric dtype; ImageError otherwise."""
    check_pixels(page)
    image = page[:, :, 0] if page.ndim == 3 and page.shape[2] == 1 else page
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageError(f"expected an (H, W) or (H, W, 3|4) image, got shape {page.shape}")
    if min(image.shape[:2]) < 2:
        raise ImageError(f"image too small: {page.shape}")
    if image.dtype != np.uint8:
        values = np.nan_to_num(image.astype(np.float64))
        if image.dtype == bool or (np.issubdtype(image.dtype, np.floating) and values.max() <= 1):
            values = values * 255
        image = np.clip(values, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8)
    if image.shape[2] == 4:
        return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGRA2BGR), dtype=np.uint8)
    return np.ascontiguousarray(image, dtype=np.uint8)


def input_size(
    h: int, w: int, min_side: int, max_side: int, max_pixels: int = 0
) -> tuple[int, int]:
    """(height, width) the network sees: the longer side at most ``max_side``, then the shorter
    at least ``min_side`` (rapidocr's order: a long receipt may end up over ``max_side``, but
    never over MAX_STRETCH times it, so a thin strip cannot blow up memory), then the area at most
    ``max_pixels`` (0: any); both sides rounded to multiples of 32 (down where the area is
    capped)."""
    scale = min(1.0, max_side / max(h, w))
    if min_side and min(h, w) * scale < min_side:
        scale = min(min_side / min(h, w), MAX_STRETCH * max_side / max(h, w))
    size = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
    if max_pixels and size[0] * size[1] > max_pixels:
        scale = min(scale, (max_pixels / (h * w)) ** 0.5)
        size = max(32, int(h * scale / 32) * 32), max(32, int(w * scale / 32) * 32)
    return size


def strips(height: int, rows: int, margin: int) -> list[tuple[int, int, int, int]]:
    """(top, bottom) of each input strip the network reads and (start, stop) of the rows kept
    from it: the kept rows tile ``[0, height)``; every strip reads ``margin`` rows beyond its kept
    ones where the page has them. One strip for the whole input when ``rows`` is 0 or enough."""
    if rows <= 0 or height <= rows + 2 * margin:
        return [(0, height, 0, height)]
    if rows % 32 or margin % 32:
        raise ValueError(f"strip rows and margin must be multiples of 32, got {rows}, {margin}")
    out = []
    for start in range(0, height, rows):
        stop = min(start + rows, height)
        out.append((max(start - margin, 0), min(stop + margin, height), start, stop))
    return out


def prepare(
    image: BgrImage,
    min_side: int,
    max_side: int,
    mean: Sequence[float],
    std: Sequence[float],
    max_pixels: int = 0,
) -> npt.NDArray[np.float32]:
    """The network's (1, 3, H, W) float input from a BGR page."""
    h, w = image.shape[:2]
    rh, rw = input_size(h, w, min_side, max_side, max_pixels)
    resized = cv2.resize(image, (rw, rh), interpolation=cv2.INTER_LINEAR)
    scale = np.float32(1 / 255)
    norm = (resized.astype(np.float32) * scale - np.array(mean, np.float32)) / np.array(
        std, np.float32
    )
    return np.ascontiguousarray(norm.transpose(2, 0, 1)[None], dtype=np.float32)


def _region_score(prob: ProbMap, corners: npt.NDArray[np.float32]) -> float:
    """Mean probability inside a (rotated) rectangle: PaddleOCR's "fast" box score."""
    h, w = prob.shape
    x0 = int(np.clip(np.floor(corners[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(corners[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(corners[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(corners[:, 1].max()), 0, h - 1))
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    shifted = (corners - np.array([x0, y0], np.float32)).astype(np.int32)
    cv2.fillPoly(mask, [shifted], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])


def boxes_from_map(
    prob: ProbMap, page_size: tuple[int, int], settings: DetectorSettings = DEFAULT
) -> list[Box]:
    """Axis-aligned page boxes (x0, y0, x1, y1) of the text regions of a probability map."""
    page_w, page_h = page_size
    map_h, map_w = prob.shape
    mask = np.where(prob > settings.thresh, 255, 0).astype(np.uint8)
    if settings.dilate:
        mask = np.asarray(cv2.dilate(mask, np.ones((2, 2), np.uint8)), dtype=np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    fx, fy = page_w / map_w, page_h / map_h
    out: list[Box] = []
    for contour in contours[: settings.max_candidates]:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if min(rw, rh) < settings.min_size:
            continue
        corners = np.asarray(cv2.boxPoints(((cx, cy), (rw, rh), angle)), np.float32)
        if _region_score(prob, corners) < settings.box_thresh:
            continue
        # DB's unclip distance: area × ratio / perimeter of the shrunk region.
        d = rw * rh * settings.unclip_ratio / (2 * (rw + rh))
        rw, rh = rw + 2 * d, rh + 2 * d
        if min(rw, rh) < settings.min_size + 2:
            continue
        grown = cv2.boxPoints(((cx, cy), (rw, rh), angle))
        xs = np.clip(np.round(grown[:, 0] * fx), 0, page_w)
        ys = np.clip(np.round(grown[:, 1] * fy), 0, page_h)
        box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
        if box[2] - box[0] > 3 and box[3] - box[1] > 3:
            out.append(box)
    return out


def split_vertical(boxes: Sequence[Box]) -> list[Box]:
    """Boxes with every vertical text column cut into one box per character. CJK characters are
    square: a column holds about height / width of them, evenly spaced."""
    flat = [b[3] - b[1] for b in boxes if b[3] - b[1] < 1.5 * (b[2] - b[0])]
    if not flat:
        return list(boxes)
    line_h = float(np.median(flat))
    out: list[Box] = []
    for x0, y0, x1, y1 in boxes:
        w, h = x1 - x0, y1 - y0
        if h >= VERTICAL_RATIO * w and w >= VERTICAL_WIDTH * line_h:
            n = max(2, round(h / w))
            cuts = [y0 + round(i * h / n) for i in range(n + 1)]
            out.extend((x0, top, x1, bottom) for top, bottom in zip(cuts, cuts[1:], strict=False))
        else:
            out.append((x0, y0, x1, y1))
    return out


def merge_row(boxes: Sequence[Box], gap: float) -> list[Box]:
    """Join boxes that overlap vertically by most of the lower one's height and lie closer than
    ``gap`` times that height side by side, left to right."""
    merged: list[list[int]] = []
    for x0, y0, x1, y1 in sorted(boxes):
        for m in merged:
            low = min(m[3] - m[1], y1 - y0)
            overlap = min(m[3], y1) - max(m[1], y0)
            if overlap > 0.6 * low and x0 - m[2] < gap * low:
                m[:] = [min(m[0], x0), min(m[1], y0), max(m[2], x1), max(m[3], y1)]
                break
        else:
            merged.append([x0, y0, x1, y1])
    return [(m[0], m[1], m[2], m[3]) for m in merged]
