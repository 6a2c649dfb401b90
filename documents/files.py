"""Pure file handling for intake: hashing, sniffing types from bytes, validation, page rendering.

Hostile files are measured before anything is decoded or rendered: every PDF page's size (from
``pdfinfo``) and every TIFF frame's header count against the pixel cap, poppler runs one page at a
time under a time and a memory limit, and each refusal is an :class:`IntakeError`, which a worker
fails at once instead of retrying.
"""

from __future__ import annotations

import hashlib
import io
import logging

from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import (
    CorruptFile,
    DecompressionBomb,
    EmptyFile,
    FileTooLarge,
    TooManyPages,
    UnsupportedType,
)
from .images import check_document_pixels, check_pixels, open_image
from .limits import FileLimits
from .pdf import render_pdf, validate_pdf

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

_EXIF_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_CAMERA_TAGS = (0x829A, 0x829D, 0x920A)  # ExposureTime, FNumber, FocalLength

log = logging.getLogger(__name__)


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


def _check_bytes(data: bytes, limits: FileLimits) -> str:
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
    return content_type


def validate(data: bytes, limits: FileLimits) -> tuple[str, int]:
    """Check an upload before it is stored; returns (content type, page count).

    Raises a subclass of IntakeError naming the problem: empty, too large, not a supported type,
    corrupt or truncated, an encrypted PDF, too many pages, a PDF page too large to render, or an
    image (any TIFF frame) whose pixel count makes it a decompression bomb.
    """
    content_type = _check_bytes(data, limits)
    if content_type == PDF:
        return content_type, validate_pdf(data, limits)
    return content_type, _validate_image(data, limits)


def image_dimensions(data: bytes, limits: FileLimits) -> tuple[int, int]:
    """Width and height of an image upload as it will be read (EXIF rotation applied), from its
    header alone: no pixel is decoded. Raises the IntakeError :func:`validate` would for an
    empty, oversized, unsupported or unreadable file, or one over the pixel cap."""
    if _check_bytes(data, limits) == PDF:
        raise UnsupportedType("This is a PDF, not an image.")
    try:
        image = open_image(io.BytesIO(data), limits.max_pixels)
        width, height = image.size
        # A PNG keeps EXIF anywhere, and Pillow would decode the pixels to find it after them.
        if image.format != "PNG" or "exif" in image.info:
            if image.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8):
                width, height = height, width
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"The image is damaged and cannot be read ({exc}).") from exc
    return width, height


def page_count(image: Image.Image) -> int:
    """Pages of an opened image: a TIFF's frames are pages; any other format is one page. A phone's
    JPEG often carries a second image (an HDR gain map or a depth map: Pillow opens it as MPO),
    and an animated PNG or GIF is no stack of pages either."""
    return getattr(image, "n_frames", 1) if image.format == "TIFF" else 1


def _validate_image(data: bytes, limits: FileLimits) -> int:
    try:
        image = open_image(io.BytesIO(data), limits.max_pixels)
        frames = page_count(image)
        if frames > limits.max_pages:
            raise TooManyPages(f"The TIFF has {frames} pages; the limit is {limits.max_pages}.")
        # Every frame is measured from its header here, before any of them is decoded: each
        # against the page cap, all together against the document's.
        sizes = []
        for index in range(frames):
            image.seek(index)
            check_pixels(image.size, limits, page=index + 1 if frames > 1 else None)
            sizes.append(image.size)
        check_document_pixels(sizes, limits)
        image = open_image(io.BytesIO(data), limits.max_pixels)
        image.verify()
        # verify() misses truncated pixel data; decoding the first frame catches it.
        image = open_image(io.BytesIO(data), limits.max_pixels)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"The image is damaged or truncated and cannot be read ({exc}).") from exc
    if min(image.size) < 16:
        raise CorruptFile(f"The image is only {image.size[0]}x{image.size[1]} pixels.")
    return frames


def taken_by_camera(data: bytes, content_type: str) -> bool:
    """The file is a camera's photo (a phone's picture of a bill): its EXIF data carry an
    exposure time, an aperture or a focal length, which scanners and PDF renderers never write."""
    if content_type == PDF:
        return False
    try:
        exif = Image.open(io.BytesIO(data)).getexif()
        camera = exif.get_ifd(_EXIF_IFD)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, KeyError):
        return False
    return any(tag in camera for tag in _CAMERA_TAGS)


def render_pages(data: bytes, content_type: str, limits: FileLimits) -> list[Image.Image]:
    """Every page as RGB, one at a time: PDF pages rendered by poppler, TIFF frames decoded,
    EXIF rotation applied. A page over the cap, a render past its time or memory limit, or a
    page that cannot be decoded raises an IntakeError."""
    if content_type == PDF:
        return render_pdf(data, limits)
    try:
        image = open_image(io.BytesIO(data), limits.max_pixels)
        frames = min(page_count(image), limits.max_pages)
        sizes = []
        for index in range(frames):
            image.seek(index)
            sizes.append(image.size)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"The image is damaged and cannot be read ({exc}).") from exc
    check_document_pixels(sizes, limits)
    out = []
    for index in range(frames):
        page = index + 1 if frames > 1 else None
        try:
            image.seek(index)
            check_pixels(image.size, limits, page=page)
            out.append(ImageOps.exif_transpose(image.convert("RGB")))
        except Image.DecompressionBombError as exc:
            raise DecompressionBomb(f"The image is too large to process safely ({exc}).") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            which = f"Page {page} of the image" if page else "The image"
            raise CorruptFile(
                f"{which} is damaged or truncated and cannot be read ({exc})."
            ) from exc
    return out
