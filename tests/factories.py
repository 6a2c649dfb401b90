"""Rows for tests that do not need recognition to run (queue, leases, audit, dashboard)."""

from __future__ import annotations

import hashlib
import io
import itertools

from django.core.files.base import ContentFile
from PIL import Image

from documents.models import Document, DocumentType, Field, Page

_counter = itertools.count(1)


def png(size=(800, 400), color="white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def document_with_fields(
    doc_type: DocumentType,
    values: dict[str, tuple[str, float, list[str]]],
    *,
    status: str = Document.Status.NEEDS_REVIEW,
) -> Document:
    """A recognised document whose fields hold ``values``: key → (value, confidence, reason codes).

    Fields with reasons need review, the others are auto-accepted.
    """
    n = next(_counter)
    data = png(color=(255, 255, 255 - n % 50))
    doc = Document(
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=f"bill-{n}.png",
        content_type="image/png",
        size=len(data),
        document_type=doc_type,
        status=status,
    )
    doc.file.save(f"bill-{n}.png", ContentFile(data), save=False)
    doc.save()
    page = Page(document=doc, index=0, width=800, height=400)
    page.image.save(f"page-{n}.jpg", ContentFile(data), save=False)
    page.save()
    specs = {s.key: s for s in doc_type.fields.all()}
    for i, (key, (value, confidence, reasons)) in enumerate(values.items()):
        Field.objects.create(
            document=doc,
            spec=specs[key],
            page=page,
            box=[10, 10 + 40 * i, 300, 40 + 40 * i],
            raw_text=value,
            value=value,
            confidence=confidence,
            char_confidences=[confidence] * len(value),
            status=Field.Status.NEEDS_REVIEW if reasons else Field.Status.AUTO_ACCEPTED,
            review_reasons=[{"code": r, "message": f"reason {r}"} for r in reasons],
        )
    return doc


def printed_line(text: str, fill: tuple[int, int, int] = (30, 30, 30)) -> Image.Image:
    """One line of ``text`` printed in a bold serif CJK font on white (RGB, 64 px high)."""
    from PIL import ImageDraw

    from recognition.engine import fonts

    font = fonts.load_font(fonts.by_name("noto-serif-sc-bold"), 40)
    image = Image.new("RGB", (40 * len(text) + 40, 64), "white")
    ImageDraw.Draw(image).text((20, 32), text, font=font, fill=fill, anchor="lm")
    return image


def with_supervision_seal(line: Image.Image, seed: int) -> Image.Image:
    """The tax authority's red supervision seal, as over an invoice's title, across ``line``."""
    import random

    from demo.canvas import Seal
    from demo.seal import stamp

    seal = Seal(
        "oval",
        (line.width // 2 - 40, 32),
        (190, 124),
        "全国统一发票监制章",
        "国家税务总局",
        "湖北省税务局",
    )
    return stamp(line, seal, random.Random(seed))
