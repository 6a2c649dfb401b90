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
import math
import re
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import (
    CorruptFile,
    DecompressionBomb,
    EmptyFile,
    EncryptedPdf,
    FileTooLarge,
    PageTooLarge,
    PdfTooComplex,
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

# Below 72 dpi the characters of a printed bill are too small for the reader: a page that would
# need less to fit the pixel cap is refused instead.
MIN_DPI = 72
# For rendering all pages of one document; pdf2image got 120 s for the whole call before.
RENDER_TIMEOUT_S = 120.0
INFO_TIMEOUT_S = 30.0
# Address space a poppler process may map: its libraries and fonts (pdftoppm runs in ~40 MiB),
# embedded images it decodes, plus the page bitmap (RGB and, while compositing, alpha: measured
# just under 5 bytes a pixel at 60 Mpx). Beyond that the PDF is refused as too complex.
_POPPLER_MEMORY_BASE = 512 * 2**20
_POPPLER_BYTES_PER_PIXEL = 8
_EXIF_ORIENTATION = 0x0112
_PAGE_LINE = re.compile(r"^Page\s+(\d+)\s+(MediaBox|rot):\s*(.*)$")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileLimits:
    """Upload and rendering limits. ``max_pixels`` caps every page (image, TIFF frame or
    rendered PDF page); a PDF page is rendered at ``dpi``, or lower down to ``min_dpi`` to fit."""

    max_bytes: int
    max_pages: int
    max_pixels: int
    dpi: int = 150
    min_dpi: int = MIN_DPI
    render_timeout_s: float = RENDER_TIMEOUT_S


@dataclass(frozen=True)
class PdfPage:
    """One PDF page as pdftoppm renders it: its MediaBox, turned by its /Rotate."""

    number: int
    width_pt: float
    height_pt: float

    def pixels_at(self, dpi: int) -> tuple[int, int]:
        # pdftoppm rounds each side up.
        return math.ceil(self.width_pt * dpi / 72), math.ceil(self.height_pt * dpi / 72)

    def describe(self) -> str:
        mm = 25.4 / 72
        return f"{self.width_pt * mm:.0f} x {self.height_pt * mm:.0f} mm"


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
        return content_type, _validate_pdf(data, limits)
    return content_type, _validate_image(data, limits)


def image_dimensions(data: bytes, limits: FileLimits) -> tuple[int, int]:
    """Width and height of an image upload as it will be read (EXIF rotation applied), from its
    header alone: no pixel is decoded. Raises the IntakeError :func:`validate` would for an
    empty, oversized, unsupported or unreadable file, or one over the pixel cap."""
    if _check_bytes(data, limits) == PDF:
        raise UnsupportedType("This is a PDF, not an image.")
    try:
        image = _open_image(io.BytesIO(data), limits.max_pixels)
        width, height = image.size
        # A PNG keeps EXIF anywhere, and Pillow would decode the pixels to find it after them.
        if image.format != "PNG" or "exif" in image.info:
            if image.getexif().get(_EXIF_ORIENTATION) in (5, 6, 7, 8):
                width, height = height, width
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"The image is damaged and cannot be read ({exc}).") from exc
    return width, height


def _check_pixels(size: tuple[int, int], limits: FileLimits, page: int | None = None) -> None:
    width, height = size
    if width * height > limits.max_pixels:
        which = f"Page {page} of the image" if page else "The image"
        raise DecompressionBomb(
            f"{which} is {width}x{height} pixels ({width * height / 1e6:.0f} million); the "
            f"limit is {limits.max_pixels / 1e6:.0f} million, so it is too large to process "
            "safely. Scan at 300 dpi or less."
        )


def _open_image(source: IO[bytes] | Path, max_pixels: int) -> Image.Image:
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


def _validate_image(data: bytes, limits: FileLimits) -> int:
    try:
        image = _open_image(io.BytesIO(data), limits.max_pixels)
        frames = getattr(image, "n_frames", 1)
        if frames > limits.max_pages:
            raise TooManyPages(f"The TIFF has {frames} pages; the limit is {limits.max_pages}.")
        # Pillow checks the first frame's size only; every other frame is measured from its
        # header here, before any of them is decoded.
        for index in range(1, frames):
            image.seek(index)
            _check_pixels(image.size, limits, page=index + 1)
        image = _open_image(io.BytesIO(data), limits.max_pixels)
        image.verify()
        # verify() misses truncated pixel data; decoding the first frame catches it.
        image = _open_image(io.BytesIO(data), limits.max_pixels)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"The image is damaged or truncated and cannot be read ({exc}).") from exc
    if min(image.size) < 16:
        raise CorruptFile(f"The image is only {image.size[0]}x{image.size[1]} pixels.")
    return frames


def _validate_pdf(data: bytes, limits: FileLimits) -> int:
    with _pdf_on_disk(data) as path:
        pages, sizes = _pdf_info(path, limits)
    if pages > limits.max_pages:
        raise TooManyPages(f"The PDF has {pages} pages; the limit is {limits.max_pages}.")
    for page in sizes:
        page_dpi(page, limits)
    return pages


@contextmanager
def _pdf_on_disk(data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ocr-pdf-") as folder:
        path = Path(folder) / "upload.pdf"
        path.write_bytes(data)
        yield path


def _poppler(args: list[str], *, timeout: float, memory: int) -> subprocess.CompletedProcess[bytes]:
    """Run a poppler tool with an address-space cap (``ulimit -v`` in a shell that then execs the
    tool: no preexec_fn, which is unsafe in a worker that has torch's threads running)."""
    command = ["sh", "-c", 'ulimit -v "$0" && exec "$@"', str(max(memory // 1024, 1)), *args]
    completed = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    stderr = completed.stderr.decode("utf-8", "replace")
    if completed.returncode == 127 and "not found" in stderr:  # pragma: no cover - bootstrap
        raise RuntimeError(f"{args[0]} is not installed (poppler-utils): {stderr.strip()}")
    if completed.returncode == -signal.SIGKILL:
        # Killed from outside (the host's OOM killer, a shutdown): not the file's fault, retry.
        raise RuntimeError(f"{args[0]} was killed")
    return completed


def _pdf_info(path: Path, limits: FileLimits) -> tuple[int, list[PdfPage]]:
    """Page count and the size of each page up to the page cap (pdfinfo's "Page size" is the
    CropBox; pdftoppm renders the MediaBox, so that is what is measured)."""
    args = ["pdfinfo", "-f", "1", "-l", str(limits.max_pages), "-box", str(path)]
    try:
        completed = _poppler(args, timeout=INFO_TIMEOUT_S, memory=_POPPLER_MEMORY_BASE)
    except subprocess.TimeoutExpired as exc:
        raise PdfTooComplex(
            f"The PDF could not be read within {INFO_TIMEOUT_S:.0f} s. Print it to a new PDF "
            "or scan it, and upload that."
        ) from exc
    out = completed.stdout.decode("utf-8", "replace")
    info = dict(
        line.split(":", 1) for line in out.splitlines() if ":" in line and line[:5] != "Page "
    )
    if "Pages" not in info:
        message = completed.stderr.decode("utf-8", "replace").strip()
        if "Incorrect password" in message or "encrypted" in message.lower():
            raise EncryptedPdf(
                "The PDF is password-protected. Remove the password and upload it again."
            )
        raise CorruptFile(f"The PDF is damaged and cannot be read ({message[:200]}).")
    if info.get("Encrypted", "no").strip().startswith("yes"):
        raise EncryptedPdf("The PDF is encrypted. Remove the protection and upload it again.")
    pages = int(info["Pages"].strip()) if info["Pages"].strip().isdigit() else 0
    if pages < 1:
        raise CorruptFile("The PDF has no pages.")
    return pages, _page_sizes(out, min(pages, limits.max_pages))


def _page_sizes(pdfinfo_out: str, pages: int) -> list[PdfPage]:
    boxes: dict[int, tuple[float, float]] = {}
    turns: dict[int, int] = {}
    for line in pdfinfo_out.splitlines():
        match = _PAGE_LINE.match(line)
        if not match:
            continue
        number, key, value = int(match[1]), match[2], match[3].split()
        try:
            if key == "MediaBox":
                x0, y0, x1, y1 = (float(v) for v in value)
                boxes[number] = (abs(x1 - x0), abs(y1 - y0))
            else:
                turns[number] = int(value[0])
        except ValueError:
            continue
    out = []
    for number in range(1, pages + 1):
        width, height = boxes.get(number, (math.nan, math.nan))
        if not width * height > 0:  # also false for NaN: a page pdfinfo could not measure
            raise CorruptFile(f"Page {number} of the PDF has no readable size.")
        if turns.get(number, 0) % 180 == 90:
            width, height = height, width
        out.append(PdfPage(number, width, height))
    return out


def page_dpi(page: PdfPage, limits: FileLimits) -> int:
    """The resolution ``page`` is rendered at: the configured dpi, or less so that the page fits
    the pixel cap. PageTooLarge if it would not fit even at ``limits.min_dpi``."""

    def fits(dpi: int) -> bool:
        width, height = page.pixels_at(dpi)
        return width * height <= limits.max_pixels

    dpi = limits.dpi
    if not fits(dpi):
        area = page.width_pt * page.height_pt
        dpi = min(dpi, int(72 * math.sqrt(limits.max_pixels / area)) if math.isfinite(area) else 0)
        while dpi >= limits.min_dpi and not fits(dpi):
            dpi -= 1
    if dpi < limits.min_dpi:
        raise PageTooLarge(
            f"Page {page.number} is {page.describe()} ({page.width_pt:.0f} x "
            f"{page.height_pt:.0f} pt), too large to read safely even at {limits.min_dpi} dpi "
            f"(the limit is {limits.max_pixels / 1e6:.0f} million pixels a page). Save or scan "
            "it at a normal paper size such as A4 or A3 and upload it again."
        )
    return dpi


def render_pages(data: bytes, content_type: str, limits: FileLimits) -> list[Image.Image]:
    """Every page as RGB, one at a time: PDF pages rendered by poppler, TIFF frames decoded,
    EXIF rotation applied. A page over the cap, a render past its time or memory limit, or a
    page that cannot be decoded raises an IntakeError."""
    if content_type == PDF:
        return _render_pdf(data, limits)
    try:
        image = _open_image(io.BytesIO(data), limits.max_pixels)
        frames = min(getattr(image, "n_frames", 1), limits.max_pages)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(f"The image is damaged and cannot be read ({exc}).") from exc
    out = []
    for index in range(frames):
        page = index + 1 if frames > 1 else None
        try:
            image.seek(index)
            _check_pixels(image.size, limits, page=page)
            out.append(ImageOps.exif_transpose(image.convert("RGB")))
        except Image.DecompressionBombError as exc:
            raise DecompressionBomb(f"The image is too large to process safely ({exc}).") from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            which = f"Page {page} of the image" if page else "The image"
            raise CorruptFile(
                f"{which} is damaged or truncated and cannot be read ({exc})."
            ) from exc
    return out


def _render_pdf(data: bytes, limits: FileLimits) -> list[Image.Image]:
    deadline = time.monotonic() + limits.render_timeout_s
    with _pdf_on_disk(data) as path:
        _pages, sizes = _pdf_info(path, limits)
        out = []
        for page in sizes:
            dpi = page_dpi(page, limits)
            if dpi < limits.dpi:
                log.info(
                    "PDF page %s (%s) rendered at %s dpi instead of %s to fit %s pixels",
                    page.number,
                    page.describe(),
                    dpi,
                    limits.dpi,
                    limits.max_pixels,
                )
            out.append(_render_page(path, page, dpi, deadline, limits))
        return out


def _render_page(
    path: Path, page: PdfPage, dpi: int, deadline: float, limits: FileLimits
) -> Image.Image:
    width, height = page.pixels_at(dpi)
    root = path.with_name(f"page-{page.number}")
    args = ["pdftoppm", "-f", str(page.number), "-l", str(page.number), "-r", str(dpi)]
    # -W/-H clip the bitmap to the size measured: whatever pdftoppm makes of the page (a
    # /UserUnit it scales by, a box pdfinfo reported differently), it never allocates more.
    args += ["-W", str(width), "-H", str(height), "-singlefile", str(path), str(root)]
    memory = _POPPLER_MEMORY_BASE + _POPPLER_BYTES_PER_PIXEL * width * height
    try:
        completed = _poppler(args, timeout=max(deadline - time.monotonic(), 0.001), memory=memory)
    except subprocess.TimeoutExpired as exc:
        raise PdfTooComplex(
            f"Page {page.number} of the PDF took longer than the time allowed to render. Print "
            "it to a new PDF or scan it, and upload that."
        ) from exc
    stderr = completed.stderr.decode("utf-8", "replace")
    # pdftoppm exits 0 after "Out of memory" with a 1x1 picture; it aborts on others.
    if "Out of memory" in stderr or completed.returncode == -signal.SIGABRT:
        raise PdfTooComplex(
            f"Page {page.number} of the PDF needs more memory to render than is allowed. Print "
            "it to a new PDF or scan it, and upload that."
        )
    output = root.with_suffix(".ppm")
    try:
        if completed.returncode != 0:
            raise OSError(stderr.strip()[-200:] or f"pdftoppm exited {completed.returncode}")
        image = _open_image(output, limits.max_pixels)
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptFile(f"Page {page.number} of the PDF could not be rendered ({exc}).") from exc
    finally:
        output.unlink(missing_ok=True)
    if abs(image.width - width) > 2 or abs(image.height - height) > 2:
        raise CorruptFile(
            f"Page {page.number} of the PDF could not be rendered ({image.width}x{image.height} "
            f"pixels instead of {width}x{height})."
        )
    return image if image.mode == "RGB" else image.convert("RGB")
