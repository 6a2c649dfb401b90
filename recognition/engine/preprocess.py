"""Image preprocessing for pages and text lines: pure functions on numpy arrays.

A line image reaches the model as float32 (1, 32, W): dark text on a light background, contrast
stretched, height 32, width kept in proportion and rounded up to a multiple of 8, then right-padded
with background to its width bucket. Training and inference share :func:`prepare_line`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar, cast

import cv2
import numpy as np
import numpy.typing as npt
from cv2.typing import MatLike
from PIL import Image

LINE_HEIGHT = 32
WIDTH_STEP = 8
MAX_LINE_WIDTH = 2048
# Widths are padded up to one of these so a batch holds similar lines; long lines keep their
# proportions (an address squeezed into 320 px loses its characters).
WIDTH_BUCKETS = (64, 128, 192, 256, 320, 384, 512, 640, 768, 1024, 1280, 1536, 2048)
NORM_MEAN = 0.5
NORM_STD = 0.5

GrayImage = npt.NDArray[np.uint8]
LineArray = npt.NDArray[np.float32]  # normalised: one (32, W) line, or a batch of them
_Pixel = TypeVar("_Pixel", bound=np.generic)


class ImageError(ValueError):
    """An array that is not an image we can read."""


def opencv_u8(result: MatLike) -> GrayImage:
    """An OpenCV result typed as the uint8 image it is.

    OpenCV's stubs give every result the element type "integer or floating" whatever the input;
    the filters, warps, resizes and codecs this wraps return uint8 for uint8 input.
    """
    return cast(GrayImage, result)


def check_pixels(image: object) -> None:
    """ImageError unless ``image`` is a numpy array of numeric pixel values.

    Strings, objects or dates would otherwise fail later with a TypeError that a reader does not
    catch, failing a whole document for one bad crop.
    """
    if not isinstance(image, np.ndarray):
        raise ImageError(f"expected a numpy array, got {type(image).__name__}")
    if not (
        image.dtype == bool
        or np.issubdtype(image.dtype, np.integer)
        or np.issubdtype(image.dtype, np.floating)
    ):
        raise ImageError(f"expected numeric pixel values, got dtype {image.dtype}")


def to_gray(image: npt.NDArray[Any]) -> GrayImage:
    """uint8 grayscale from gray, BGR or BGRA input of any numeric dtype."""
    check_pixels(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ImageError(f"expected an (H, W) or (H, W, 3|4) image, got shape {image.shape}")
    if image.size == 0:
        raise ImageError("empty image")
    if image.dtype != np.uint8:
        if image.dtype == bool:
            image = image.astype(np.uint8) * 255
        elif np.issubdtype(image.dtype, np.floating) and float(np.nanmax(image)) <= 1.0:
            image = np.clip(np.nan_to_num(image) * 255, 0, 255).astype(np.uint8)
        else:
            image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return image
    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return opencv_u8(cv2.cvtColor(image, code))


def denoise(gray: GrayImage, *, method: str = "bilateral") -> GrayImage:
    if method == "bilateral":
        return opencv_u8(cv2.bilateralFilter(gray, 5, 40, 40))
    if method == "gaussian":
        return opencv_u8(cv2.GaussianBlur(gray, (3, 3), 0))
    raise ValueError(f"unknown denoise method {method!r}")


def clahe(gray: GrayImage, *, clip_limit: float = 2.0, tile: int = 8) -> GrayImage:
    return opencv_u8(cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tile, tile)).apply(gray))


def binarize(gray: GrayImage, *, block: int = 31, offset: int = 10) -> GrayImage:
    """Adaptive threshold; text becomes 0 on 255."""
    block = max(3, block | 1)
    return opencv_u8(
        cv2.adaptiveThreshold(
            gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, offset
        )
    )


def estimate_skew(gray: GrayImage, *, max_angle: float = 15.0) -> float:
    """Angle in degrees (counter-clockwise positive) that text lines are rotated by.

    Text pixels are smeared horizontally into line blobs; the median angle of the long blobs'
    minimum-area rectangles is robust to stamps, logos and table borders.
    """
    h, w = gray.shape[:2]
    scale = min(1.0, 1600 / max(h, w))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]
    ink = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 3)))
    contours, _ = cv2.findContours(ink, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    angles, weights = [], []
    for contour in contours:
        (_, _), (rw, rh), angle = cv2.minAreaRect(contour)
        if rw < rh:
            rw, rh, angle = rh, rw, angle - 90
        if rw < 40 or rw < 4 * rh:
            continue
        # minAreaRect angles grow clockwise in image coordinates.
        angle = -angle
        if angle > 45:
            angle -= 180
        elif angle < -45:
            angle += 180
        if abs(angle) <= max_angle:
            angles.append(angle)
            weights.append(rw)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def rotate(
    image: npt.NDArray[Any], angle: float, *, fill: int | tuple[int, ...] = 255
) -> npt.NDArray[Any]:
    """Rotate counter-clockwise by ``angle`` degrees, growing the canvas so nothing is cut."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    return cv2.warpAffine(
        image,
        matrix,
        (new_w, new_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def deskew(image: npt.NDArray[Any], *, min_angle: float = 0.2) -> tuple[npt.NDArray[Any], float]:
    """Straighten a page: (image, angle removed); unchanged below ``min_angle``."""
    angle = estimate_skew(to_gray(image))
    if abs(angle) < min_angle:
        return image, 0.0
    fill = 255 if image.ndim == 2 else (255,) * image.shape[2]
    return rotate(image, -angle, fill=fill), angle


def crop_box(
    image: npt.NDArray[_Pixel], box: Sequence[float], *, margin: float = 0.08
) -> npt.NDArray[_Pixel]:
    """Crop (x0, y0, x1, y1), widened by ``margin`` × box height on every side, clamped."""
    x0, y0, x1, y1 = box
    pad = (y1 - y0) * margin
    h, w = image.shape[:2]
    left, top = max(0, int(math.floor(x0 - pad))), max(0, int(math.floor(y0 - pad)))
    right, bottom = min(w, int(math.ceil(x1 + pad))), min(h, int(math.ceil(y1 + pad)))
    if right <= left or bottom <= top:
        raise ImageError(f"box {tuple(box)} lies outside the {w}x{h} image")
    return image[top:bottom, left:right]


def stretch_contrast(gray: GrayImage) -> GrayImage:
    """Dark text on light background, 2nd..98th percentile stretched to the full range."""
    lo, hi = np.percentile(gray, (2, 98))
    if hi - lo < 1:
        return np.full_like(gray, 255)
    out: npt.NDArray[np.float64] = np.clip(
        (gray.astype(np.float32) - lo) * (255.0 / (hi - lo)), 0, 255
    )
    if np.median(out) < 128:  # light text on a dark band: invert
        out = 255 - out
    return out.astype(np.uint8)


def resize_to_height(gray: GrayImage, height: int = LINE_HEIGHT) -> GrayImage:
    """Keep the aspect ratio; width rounded up to a multiple of 8, capped at MAX_LINE_WIDTH."""
    h, w = gray.shape[:2]
    width = max(WIDTH_STEP, int(math.ceil(w * height / h / WIDTH_STEP)) * WIDTH_STEP)
    width = min(width, MAX_LINE_WIDTH)
    interp = cv2.INTER_AREA if h > height else cv2.INTER_CUBIC
    return opencv_u8(cv2.resize(gray, (width, height), interpolation=interp))


def bucket_width(width: int) -> int:
    for bucket in WIDTH_BUCKETS:
        if width <= bucket:
            return bucket
    return MAX_LINE_WIDTH


def normalize(gray: GrayImage) -> LineArray:
    return ((gray.astype(np.float32) / 255.0) - NORM_MEAN) / NORM_STD


def prepare_line(image: npt.NDArray[Any]) -> LineArray:
    """Any line crop → float32 (32, W) ready for the model. Raises ImageError on unusable input."""
    gray = to_gray(image)
    if min(gray.shape) < 2:
        raise ImageError(f"line image {gray.shape[1]}x{gray.shape[0]} is too small to read")
    return normalize(resize_to_height(stretch_contrast(gray)))


def pad_batch(lines: Sequence[LineArray], width: int | None = None) -> LineArray:
    """Stack prepared lines into (N, 1, 32, W), right-padding with background (white)."""
    width = width or bucket_width(max(line.shape[1] for line in lines))
    batch = np.full(
        (len(lines), 1, LINE_HEIGHT, width), normalize(np.array([255], np.uint8))[0], np.float32
    )
    for i, line in enumerate(lines):
        batch[i, 0, :, : min(width, line.shape[1])] = line[:, :width]
    return batch


def colour_page(image: Image.Image) -> np.ndarray:
    """The BGR array of an image, as the readers take colour crops."""
    return np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])


def gray_page(image: Image.Image) -> np.ndarray:
    """The 8-bit gray array of an image (PIL's luma)."""
    return np.asarray(image.convert("L"))
