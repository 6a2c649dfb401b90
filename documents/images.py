"""Opening images safely: the header first, the pixel cap as an error, every page measured."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import IO

from PIL import Image

from .exceptions import DecompressionBomb, DocumentTooLarge
from .limits import FileLimits


def check_pixels(size: tuple[int, int], limits: FileLimits, page: int | None = None) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        which = f"Page {page} of the image" if page else "The image"
        raise DecompressionBomb(
            f"{which} is {width}x{height} pixels ({width * height / 1e6:.0f} million); the "
            f"limit is {limits.max_pixels / 1e6:.0f} million, so it is too large to process "
            "safely. Scan at 300 dpi or less."
        )


def check_document_pixels(sizes: list[tuple[int, int]], limits: FileLimits) -> None:
    """DocumentTooLarge if the pages together hold more pixels than one document may."""
    total = sum(w * h for w, h in sizes)
    if total > limits.max_document_pixels:
        raise DocumentTooLarge(
            f"The {len(sizes)} pages hold {total / 1e6:.0f} million pixels together; the limit "
            f"for one document is {limits.max_document_pixels / 1e6:.0f} million. Scan at 300 dpi "
            "or less, or split the file into several documents."
        )


def open_image(source: IO[bytes] | Path, max_pixels: int) -> Image.Image:
    """Open (the header only) with the bomb guard as an error at ``max_pixels`` (Pillow only warns
    below 2x its own limit)."""
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(source)
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise DecompressionBomb(
                    f"The image is too large to process safely ({exc}). Scan at 300 dpi or less."
                ) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = old
    return image
