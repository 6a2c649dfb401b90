"""Field values rest on the accurate model even where the fast first reader keeps page lines: the
lines a value comes from are read again by the general model (processing.reading.confirm_values)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image

from documents.models import Document
from processing.reading import recognize_document
from processing.run import spec_inputs
from recognition.engine.ppocr.cascade import CascadeReader
from recognition.engine.readers import LineReader, open_reader
from recognition.shipped import FAST_READER, SHIPPED

WEIGHTS = Path(django_settings.OCR_WEIGHTS_DIR)


class Counting:
    """The real general model, counting the lines it is given."""

    def __init__(self, reader: LineReader) -> None:
        self.reader = reader
        self.lines = 0

    def __getattr__(self, name: str):
        return getattr(self.reader, name)

    def recognize(self, images, **kwargs):
        self.lines += len(images)
        return self.reader.recognize(images, **kwargs)


@pytest.fixture(scope="module")
def readers() -> tuple[LineReader, LineReader]:
    return open_reader(WEIGHTS / SHIPPED["general"]), open_reader(WEIGHTS / FAST_READER)


@pytest.mark.parametrize(
    ("code", "blank_first"), [("bank_slip", False), ("vat_invoice", False), ("vat_invoice", True)]
)
def test_a_fast_reader_that_keeps_every_line_leaves_the_values_to_the_general_model(
    code, blank_first, demo_types, rendered_bills, readers
):
    general, fast = readers
    specs = spec_inputs(Document(document_type=demo_types[code]))
    bill = Image.open(io.BytesIO(rendered_bills[code][0])).convert("RGB")
    # With a blank first page the values' lines are on the second page, after none on the first.
    images = [Image.new("RGB", bill.size, "white"), bill] if blank_first else [bill]
    alone = recognize_document(images, specs, general=general, numeric=general)

    accurate = Counting(general)
    # Threshold 0.01: the fast model keeps (provisionally) every line of the page.
    cascade = CascadeReader(fast, accurate, 0.01)  # type: ignore[arg-type]
    result = recognize_document(images, specs, general=cascade, numeric=general)

    assert not blank_first or not result.pages[0].lines
    lines = [line for page in result.pages for line in page.lines]
    confirmed = [line for line in lines if not line.provisional]
    assert 0 < accurate.lines == len(confirmed) < len(lines), "only the values' lines read again"
    text_specs = [s.key for s in specs if not s.numeric]
    values = {f.key: f.value for f in result.fields}
    expected = {f.key: f.value for f in alone.fields}
    assert {k: values[k] for k in text_specs} == {k: expected[k] for k in text_specs}
    confidences = {f.key: f.confidence for f in alone.fields}
    for field in result.fields:
        if field.key in text_specs and field.value:
            assert field.confidence == pytest.approx(confidences[field.key], abs=1e-6)
