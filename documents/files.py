"""Pure file handling for intake: hashing, sniffing types from bytes, validation, page rendering."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from pdf2image import convert_from_bytes, pdfinfo_from_bytes
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError
from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import (
    CorruptFile,
    DecompressionBomb,
    EmptyFile,
    EncryptedPdf,
    FileTooLarge,
    TooManyPages,
    UnsupportedType,
)

IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "BMP": "image/bmp", "TIFF": "image/tiff"}
PDF = "application/pdf"
ACCEPTED = (*IMAGE_TYPES.values(), PDF)
_MAGIC = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"BM", "image/bmp"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int
    max_pages: int
    max_pixels: int
    dpi: int = 150


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sniff_content_type(data: bytes) -> str | None:
    """Content type from the leading bytes, never from the name or the client's claim."""
    head = data[:1024]
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    # Some scanners prepend a few bytes of junk before %PDF-; PDF readers tolerate 1 KiB of it.
    if b"%PDF-" in head:
        return PDF
    return None


def validate(data: bytes, limits: FileLimits) -> tuple[str, int]:
    """Check an upload before it is stored; returns (content type, page count).

    Raises a subclass of IntakeError naming the problem: empty, too large, not a supported type,
    corrupt or truncated, an encrypted PDF, too many pages, or an image whose pixel count makes it
    a decompression bomb.
    """
    if not data:
        raise EmptyFile("The file is empty (0 bytes).")
    if len(data) > limits.max_bytes:
        raise FileTooLarge(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {limits.max_bytes / 1e6:.0f} MB."
        )
    content_type = sniff_content_type(data)
    if content_type is None:
        raise UnsupportedType(
            "This is not a JPG, PNG, BMP, TIFF or PDF file (judged by its content, not its name)."
        )
    if content_type == PDF:
        return content_type, _validate_pdf(data, limits)
    return content_type, _validate_image(data, limits)


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Open with the bomb guard as an error at ``max_pixels`` (Pillow only warns below 2×)."""
    old = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                return Image.open(io.BytesIO(data))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise DecompressionBomb(
                    f"The image is too large to process safely ({exc}). Scan at 300 dpi or less."
                ) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = old


def _validate_image(data: bytes, limits: FileLimits) -> int:
    try:
        image = _open_image(data, limits.max_pixels)
        frames = getattr(image, "n_frames", 1)
        if frames > limits.max_pages:
            raise TooManyPages(f"The TIFF has {frames} pages; the limit is {limits.max_pages}.")
        image.verify()
        # verify() misses truncated pixel data; decoding the first frame catches it.
        image = _open_image(data, limits.max_pixels)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"The image is damaged or truncated and cannot be read ({exc}).") from exc
    if min(image.size) < 16:
        raise CorruptFile(f"The image is only {image.size[0]}x{image.size[1]} pixels.")
    return frames


def _validate_pdf(data: bytes, limits: FileLimits) -> int:
    try:
        info = pdfinfo_from_bytes(data, timeout=30)
    except PDFInfoNotInstalledError as exc:  # pragma: no cover - bootstrap installs poppler
        raise RuntimeError("poppler-utils is not installed: run scripts/bootstrap.sh") from exc
    except (PDFPageCountError, PDFSyntaxError, ValueError) as exc:
        message = str(exc)
        if "Incorrect password" in message or "encrypted" in message.lower():
            raise EncryptedPdf(
                "The PDF is password-protected. Remove the password and upload it again."
            ) from exc
        raise CorruptFile(
            f"The PDF is damaged and cannot be read ({message.strip()[:200]})."
        ) from exc
    if str(info.get("Encrypted", "no")).startswith("yes"):
        raise EncryptedPdf("The PDF is encrypted. Remove the protection and upload it again.")
    pages = int(info.get("Pages", 0))
    if pages < 1:
        raise CorruptFile("The PDF has no pages.")
    if pages > limits.max_pages:
        raise TooManyPages(f"The PDF has {pages} pages; the limit is {limits.max_pages}.")
    return pages


def render_pages(data: bytes, content_type: str, limits: FileLimits) -> list[Image.Image]:
    """Every page as RGB: PDF pages rendered by poppler, TIFF frames, EXIF rotation applied."""
    if content_type == PDF:
        try:
            pages = convert_from_bytes(
                data, dpi=limits.dpi, last_page=limits.max_pages, thread_count=1, timeout=120
            )
        except (PDFPageCountError, PDFSyntaxError, ValueError) as exc:
            raise CorruptFile(f"The PDF could not be rendered ({str(exc)[:200]}).") from exc
        return [page.convert("RGB") for page in pages]
    image = _open_image(data, limits.max_pixels)
    out = []
    for index in range(min(getattr(image, "n_frames", 1), limits.max_pages)):
        image.seek(index)
        out.append(ImageOps.exif_transpose(image.convert("RGB")))
    return out
