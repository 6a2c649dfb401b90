"""Render demo bills with known ground truth, and save them as PNG, PDF and JSON (pure).

``render_bill(code, seed)`` is deterministic: the same code and seed give the same pixels, the
same values and the same boxes. Values come from ``ValueGenerator(seed)``; the layout, fonts and
degradations from a separate generator, so ``degrade=False`` gives the same bill, clean, unrotated
and without its seal.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from recognition.engine.textgen import ValueGenerator

from . import bank_slip, loan_application, vat_invoice
from .canvas import Box, Page
from .degrade import photometric, rotate, transform_box
from .seal import stamp
from .types import demo_type

PDF_DPI = 150
_LAYOUTS: dict[str, tuple[tuple[int, int], Callable[[Page, ValueGenerator], None]]] = {
    "bank_slip": (bank_slip.SIZE, bank_slip.render),
    "loan_application": (loan_application.SIZE, loan_application.render),
    "vat_invoice": (vat_invoice.SIZE, vat_invoice.render),
}
MAX_ROTATION_DEG = 1.5


@dataclass
class Bill:
    code: str
    seed: int
    image: Image.Image
    truth: dict[str, str]
    boxes: dict[str, Box]
    label_boxes: dict[str, Box]
    lines: list[tuple[str, Box]]

    def metadata(self) -> dict[str, object]:
        """Everything but the pixels, JSON-ready."""
        return {
            "code": self.code,
            "seed": self.seed,
            "size": list(self.image.size),
            "truth": self.truth,
            "boxes": {k: list(v) for k, v in self.boxes.items()},
            "label_boxes": {k: list(v) for k, v in self.label_boxes.items()},
            "lines": [[text, list(box)] for text, box in self.lines],
        }


def render_bill(code: str, seed: int, *, degrade: bool = True) -> Bill:
    """One bill of demo type ``code``; with ``degrade``, stamped, tilted and scanned-looking."""
    demo_type(code)
    size, layout = _LAYOUTS[code]
    page = Page(code, size, random.Random(f"demo-bill:{code}:{seed}"))
    layout(page, ValueGenerator(seed))
    image, boxes, label_boxes, lines = page.image, page.boxes, page.label_boxes, page.lines
    if degrade:
        for seal in page.seals:
            image = stamp(image, seal, page.rng)
        angle = page.rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG)
        pixels, matrix = rotate(np.asarray(image), angle, page.paper)
        image = Image.fromarray(photometric(pixels, page.rng))

        def move(box: Box) -> Box:
            return transform_box(box, matrix, size)

        boxes = {k: move(b) for k, b in boxes.items()}
        label_boxes = {k: move(b) for k, b in label_boxes.items()}
        lines = [(text, move(b)) for text, b in lines]
    return Bill(code, seed, image, dict(page.truth), boxes, label_boxes, list(lines))


def save_bill(
    bill: Bill, out_dir: Path | str, stem: str, formats: Iterable[str] = ("png", "pdf")
) -> dict[str, Path]:
    """Write ``stem.png`` / ``stem.pdf`` as asked, and always ``stem.json``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for fmt in formats:
        path = out / f"{stem}.{fmt}"
        if fmt == "png":
            bill.image.save(path, "PNG")
        elif fmt == "pdf":
            path.write_bytes(bills_to_pdf([bill]))
        else:
            raise ValueError(f"unknown format {fmt!r}; use png or pdf")
        paths[fmt] = path
    paths["json"] = out / f"{stem}.json"
    paths["json"].write_text(json.dumps(bill.metadata(), ensure_ascii=False, indent=1))
    return paths


def bills_to_pdf(bills: list[Bill]) -> bytes:
    """One PDF page per bill, at 150 dpi so a page has its paper size in a viewer."""
    if not bills:
        raise ValueError("no bills to write")
    buf = io.BytesIO()
    first, *rest = (b.image for b in bills)
    first.save(buf, "PDF", save_all=True, append_images=rest, resolution=PDF_DPI, quality=92)
    return buf.getvalue()
