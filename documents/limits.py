from __future__ import annotations

from django.conf import settings

from .files import FileLimits


def intake_limits() -> FileLimits:
    """The upload and rendering limits configured for this deployment."""
    return FileLimits(
        max_bytes=settings.OCR_MAX_UPLOAD_BYTES,
        max_pages=settings.OCR_MAX_PDF_PAGES,
        max_pixels=settings.OCR_MAX_IMAGE_PIXELS,
        dpi=settings.OCR_PDF_DPI,
    )
