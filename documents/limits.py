"""The limits an upload and its rendering must keep."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# Below 72 dpi the characters of a printed bill are too small for the reader: a page that would
# need less to fit the pixel cap is refused instead.
MIN_DPI = 72
# For rendering all pages of one document.
RENDER_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class FileLimits:
    """Upload and rendering limits. ``max_pixels`` caps every page (image, TIFF frame or
    rendered PDF page) and ``max_document_pixels`` all pages together; a PDF is rendered at
    ``dpi``, or lower down to ``min_dpi`` to fit both."""

    max_bytes: int
    max_pages: int
    max_pixels: int
    max_document_pixels: int = 200_000_000
    dpi: int = 150
    min_dpi: int = MIN_DPI
    render_timeout_s: float = RENDER_TIMEOUT_S


def intake_limits() -> FileLimits:
    """The upload and rendering limits configured for this deployment."""
    return FileLimits(
        max_bytes=settings.OCR_MAX_UPLOAD_BYTES,
        max_pages=settings.OCR_MAX_PDF_PAGES,
        max_pixels=settings.OCR_MAX_IMAGE_PIXELS,
        max_document_pixels=settings.OCR_MAX_DOCUMENT_PIXELS,
        dpi=settings.OCR_PDF_DPI,
    )
