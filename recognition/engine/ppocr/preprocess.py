"""Line crops → the PP-OCR recogniser's input: float32 (3, 48, W), BGR, values in [-1, 1].

Pure functions (numpy and OpenCV). The semantics follow PaddleOCR's ``resize_norm_img``: width
``ceil(48 * w / h)`` capped at the maximum, bilinear resize, ``(x / 255 - 0.5) / 0.5``, and the
batch padded on the right with zeros *after* normalisation (mid-grey, not white).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ..preprocess import ImageError, LineArray, check_pixels, opencv_u8
from .info import Preprocessing

DEFAULT = Preprocessing()
BGRImage = npt.NDArray[np.uint8]
WIDTH_STRIDE = 8  # one output frame per 8 px of input


def line_size(image: npt.NDArray[Any]) -> tuple[int, int]:
    """(height, width) of a readable line crop; raises ImageError for anything we cannot read."""
    check_pixels(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ImageError(f"expected an (H, W) or (H, W, 1|3|4) image, got shape {image.shape}")
    h, w = image.shape[:2]
    if min(h, w) < 2:
        raise ImageError(f"line image {w}x{h} is too small to read")
    return h, w


def to_bgr(image: npt.NDArray[Any]) -> BGRImage:
    """uint8 (H, W, 3) BGR from gray, BGR or BGRA input of any numeric dtype."""
    line_size(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    elif np.issubdtype(image.dtype, np.floating):
        scale = 255.0 if float(np.nanmax(image)) <= 1.0 else 1.0
        image = np.clip(np.nan_to_num(image) * scale, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return opencv_u8(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    if image.shape[2] == 4:
        return opencv_u8(cv2.cvtColor(image, cv2.COLOR_BGRA2BGR))
    bgr: BGRImage = image
    return bgr


def resized_width(width: int, height: int, pre: Preprocessing = DEFAULT) -> int:
    return max(1, min(pre.max_width, math.ceil(pre.height * width / height)))


def prepare_line(image: npt.NDArray[Any], pre: Preprocessing = DEFAULT) -> LineArray:
    """Any line crop → float32 (3, height, w), unpadded. Raises ImageError on unusable input."""
    bgr = to_bgr(image)
    h, w = bgr.shape[:2]
    resized = opencv_u8(cv2.resize(bgr, (resized_width(w, h, pre), pre.height)))
    chw = resized.transpose(2, 0, 1).astype(np.float32) / 255.0
    return ((chw - pre.mean) / pre.std).astype(np.float32)


def bucket_width(width: int, pre: Preprocessing = DEFAULT) -> int:
    """The padded batch width for a line ``width`` px wide (see ``Preprocessing``)."""
    rounded = math.ceil(width / pre.width_step) * pre.width_step
    return min(max(rounded, pre.min_width), pre.max_width)


def pad_batch(lines: Sequence[LineArray], width: int | None = None) -> LineArray:
    """Stack prepared lines into (N, 3, H, width), zeros on the right; wider lines are cut."""
    if not lines:
        raise ValueError("pad_batch needs at least one line")
    width = width or max(line.shape[2] for line in lines)
    channels, height = lines[0].shape[:2]
    batch = np.zeros((len(lines), channels, height, width), np.float32)
    for i, line in enumerate(lines):
        batch[i, :, :, : min(width, line.shape[2])] = line[:, :, :width]
    return batch


def output_frames(width: int) -> int:
    """CTC frames the network produces for an input ``width`` px wide (two stride-2 convs with
    padding 1, then a 2-wide average pool without padding)."""
    return max(1, math.ceil(math.ceil(width / 2) / 2) // 2)


def content_frames(width: int, padded_width: int) -> int:
    """Frames that see a line's own pixels when it is padded to ``padded_width``."""
    return min(output_frames(padded_width), max(1, math.ceil(width / WIDTH_STRIDE)))
