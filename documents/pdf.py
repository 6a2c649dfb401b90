"""PDFs measured before they are rendered: page count and every page's size from ``pdfinfo``,
then one page at a time through ``pdftoppm`` at a DPI that fits the pixel cap, under a time and a
memory limit. Every refusal is an IntakeError, which a worker fails at once instead of retrying."""

from __future__ import annotations

import logging
import math
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .exceptions import (
    CorruptFile,
    DocumentTooLarge,
    EncryptedPdf,
    PageTooLarge,
    PdfTooComplex,
    TooManyPages,
)
from .images import open_image
from .limits import FileLimits

log = logging.getLogger(__name__)

INFO_TIMEOUT_S = 30.0
# At upload the measuring runs in a web thread: a PDF that takes longer is refused there, not
# left to hold one of the few threads that serve every clerk (pdfinfo needs well under a second
# for an ordinary bill).
INTAKE_INFO_TIMEOUT_S = 10.0
# Address space a poppler process may map: its libraries and fonts (pdftoppm runs in ~40 MiB),
# embedded images it decodes, plus the page bitmap (RGB and, while compositing, alpha: measured
# just under 5 bytes a pixel at 60 Mpx). Beyond that the PDF is refused as too complex.
_POPPLER_MEMORY_BASE = 512 * 2**20
_POPPLER_BYTES_PER_PIXEL = 8
# A render's folder (the upload and one page bitmap at a time) is deleted when it ends. One left
# by a worker killed mid-render (its task timeout, the OOM killer) still holds a customer's PDF;
# the next render on the machine deletes it once it is older than any render can last.
_FOLDER_PREFIX = "ocr-pdf-"
STALE_FOLDER_AFTER_S = 3600.0
_PAGE_LINE = re.compile(r"^Page\s+(\d+)\s+(MediaBox|rot):\s*(.*)$")


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


def validate_pdf(data: bytes, limits: FileLimits) -> int:
    with _pdf_on_disk(data) as path:
        pages, sizes = _pdf_info(path, limits, timeout=INTAKE_INFO_TIMEOUT_S)
    if pages > limits.max_pages:
        raise TooManyPages(f"The PDF has {pages} pages; the limit is {limits.max_pages}.")
    document_dpis(sizes, limits)
    return pages


@contextmanager
def _pdf_on_disk(data: bytes) -> Iterator[Path]:
    remove_stale_folders()
    with tempfile.TemporaryDirectory(prefix=_FOLDER_PREFIX) as folder:
        path = Path(folder) / "upload.pdf"
        path.write_bytes(data)
        yield path


def remove_stale_folders(older_than_s: float = STALE_FOLDER_AFTER_S) -> int:
    """Delete render folders left in the temporary directory by killed workers; how many."""
    cutoff = time.time() - older_than_s
    removed = 0
    for folder in Path(tempfile.gettempdir()).glob(f"{_FOLDER_PREFIX}*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
        except OSError:  # gone already (another worker's sweep), or not ours to delete
            continue
    if removed:
        log.warning("deleted %s PDF render folder(s) left by killed workers", removed)
    return removed


def poppler_command(args: list[str], *, timeout: float, memory: int) -> list[str]:
    """``args`` under an address-space cap and a CPU-time cap (``ulimit -v``/``-t`` in a shell
    that then execs the tool: no preexec_fn, which is unsafe in a worker with threads running),
    and no core file (a tool killed at a cap would leave one holding the customer's PDF).

    The CPU cap (a second beyond ``timeout``) ends a tool whose worker was killed while waiting
    for it, which nothing else would; a worker that is alive stops the tool at ``timeout`` of wall
    time first, as CPU time never runs ahead of wall time for a one-threaded tool.
    """
    cpu_s = math.ceil(timeout) + 1
    script = 'ulimit -c 0 && ulimit -v "$0" && ulimit -t "$1" && shift && exec "$@"'
    return ["sh", "-c", script, str(max(memory // 1024, 1)), str(cpu_s), *args]


def _poppler(args: list[str], *, timeout: float, memory: int) -> subprocess.CompletedProcess[bytes]:
    command = poppler_command(args, timeout=timeout, memory=memory)
    completed = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    stderr = completed.stderr.decode("utf-8", "replace")
    if completed.returncode == 127 and "not found" in stderr:  # pragma: no cover - bootstrap
        raise RuntimeError(f"{args[0]} is not installed (poppler-utils): {stderr.strip()}")
    if completed.returncode == -signal.SIGKILL:
        # Killed from outside (the host's OOM killer, a shutdown): not the file's fault, retry.
        raise RuntimeError(f"{args[0]} was killed")
    return completed


def _pdf_info(
    path: Path, limits: FileLimits, *, timeout: float = INFO_TIMEOUT_S
) -> tuple[int, list[PdfPage]]:
    """Page count and the size of each page up to the page cap (pdfinfo's "Page size" is the
    CropBox; pdftoppm renders the MediaBox, so that is what is measured)."""
    args = ["pdfinfo", "-f", "1", "-l", str(limits.max_pages), "-box", str(path)]
    try:
        completed = _poppler(args, timeout=timeout, memory=_POPPLER_MEMORY_BASE)
    except subprocess.TimeoutExpired as exc:
        raise PdfTooComplex(
            f"The PDF could not be read within {timeout:g} s. Print it to a new PDF "
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


def document_dpis(pages: list[PdfPage], limits: FileLimits) -> list[int]:
    """Each page's resolution: its own (``page_dpi``), lowered for all pages alike where the
    pages together would hold more than ``limits.max_document_pixels``, never below
    ``limits.min_dpi``; DocumentTooLarge if even that is too much."""
    own = [page_dpi(page, limits) for page in pages]

    def total(cap: int) -> int:
        return sum(math.prod(p.pixels_at(min(d, cap))) for p, d in zip(pages, own))

    cap = max(own, default=limits.dpi)
    while cap > limits.min_dpi and total(cap) > limits.max_document_pixels:
        cap -= 1
    if total(cap) > limits.max_document_pixels:
        raise DocumentTooLarge(
            f"The PDF's {len(pages)} pages would hold {total(cap) / 1e6:.0f} million pixels "
            f"together even at {limits.min_dpi} dpi; the limit for one document is "
            f"{limits.max_document_pixels / 1e6:.0f} million. Split it into several documents, "
            "or save its pages at a normal paper size such as A4."
        )
    return [min(d, cap) for d in own]


def render_pdf(data: bytes, limits: FileLimits) -> list[Image.Image]:
    deadline = time.monotonic() + limits.render_timeout_s
    with _pdf_on_disk(data) as path:
        _pages, sizes = _pdf_info(path, limits)
        out = []
        for page, dpi in zip(sizes, document_dpis(sizes, limits)):
            if dpi < limits.dpi:
                log.info(
                    "PDF page %s (%s) rendered at %s dpi instead of %s to fit %s pixels a page "
                    "and %s a document",
                    page.number,
                    page.describe(),
                    dpi,
                    limits.dpi,
                    limits.max_pixels,
                    limits.max_document_pixels,
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
        image = open_image(output, limits.max_pixels)
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
