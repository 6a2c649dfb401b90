"""Lines stamped with a red seal are read without the seal; red print itself is still read."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from demo.seal import SEAL_RED
from recognition.engine import fonts
from recognition.engine.ink import (
    MIN_RED_SHARE,
    SURE,
    SealFreeReader,
    red_ink_share,
    without_red_ink,
)
from recognition.engine.readers import open_reader
from recognition.shipped import SHIPPED
from tests.factories import printed_line, with_supervision_seal

WEIGHTS = Path(__file__).resolve().parents[2] / "recognition" / "weights"
TITLE = "湖北增值税电子普通发票"


@cache
def _general():
    path = WEIGHTS / SHIPPED["general"]
    if not path.is_file():
        pytest.fail(f"{path} is missing: scripts/bootstrap.sh writes it")
    return open_reader(path, threads=1)


def _line(text: str, fill=(30, 30, 30)) -> Image.Image:
    return printed_line(text, fill)


def _stamped(image: Image.Image, seed: int) -> np.ndarray:
    """The supervision seal an invoice's title carries, stamped across the line (BGR)."""
    return np.ascontiguousarray(np.asarray(with_supervision_seal(image, seed))[:, :, ::-1])


def test_seal_red_is_red_ink_and_black_blue_and_brown_print_is_not():
    page = np.full((10, 40, 3), 255, np.uint8)
    page[:, :10] = SEAL_RED[::-1]  # BGR
    page[:, 10:20] = (20, 20, 20)  # black
    page[:, 20:30] = (160, 40, 30)  # blue ink, BGR
    page[:, 30:] = (50, 90, 140)  # brown print, BGR
    assert red_ink_share(page) == pytest.approx(0.25)
    clean = without_red_ink(page)
    assert clean.ndim == 2 and clean[:, :10].min() > 190, "the seal is nearly paper"
    assert clean[:, 10:30].max() < 60, "black and blue print stays dark"
    assert red_ink_share(page[:, :, 0]) == 0.0, "a gray crop has no red ink"


def test_a_title_under_the_supervision_seal_is_read_without_it():
    """Measured: as stamped the shipped model reads the title at 0.89, without the red at 0.97."""
    crop = _stamped(_line(TITLE), seed=0)
    assert red_ink_share(crop) >= MIN_RED_SHARE
    as_is = _general().recognize_one(crop)
    read = SealFreeReader(_general()).recognize_one(crop)
    assert read.text == TITLE
    assert read.confidence >= as_is.confidence + 0.05


def test_red_print_is_still_read_and_gray_lines_are_read_once():
    red = np.ascontiguousarray(np.asarray(_line("No 12345678", fill=(220, 20, 30)))[:, :, ::-1])
    gray = np.asarray(_line("合计金额 ¥12,345.67").convert("L"))
    reader = SealFreeReader(_general())
    red_read, gray_read = reader.recognize([red, gray])
    assert red_read.text == "No 12345678"
    assert gray_read == _general().recognize_one(gray)
    assert reader.kind == "general" and reader.sha256 == _general().sha256


def test_bad_crops_stay_empty():
    reader = SealFreeReader(_general())
    assert [
        d.text
        for d in reader.recognize([np.zeros((0, 0), np.uint8), np.zeros((0, 0, 3), np.uint8)])
    ] == ["", ""]


def test_a_stamped_value_line_is_read_again_without_the_seal_once():
    """processing.seals: only the lines values come from, each tried once per document."""
    from processing.ocrlines import Located, OcrLine
    from processing.reading import PageResult, SpecInput
    from processing.seals import read_values_around_seals

    line = _line(TITLE)
    page = Image.new("RGB", (line.width + 40, 200), "white")
    page.paste(Image.fromarray(_stamped(line, seed=0)[:, :, ::-1]), (20, 60))
    box = (20, 60, 20 + line.width, 124)
    as_is = _general().recognize_one(np.asarray(page)[60:124, 20 : 20 + line.width, ::-1])
    pages = [PageResult(page, 0.0, [OcrLine(0, box, as_is.text, as_is.confidence)])]
    spec = SpecInput("title", "", (), "text", None, False, {}, 0.9, numeric=False)
    located = {"title": Located(0, box, as_is.text, as_is.confidence, source_lines=(0,))}
    tried: set[int] = set()

    assert read_values_around_seals(pages, located, [spec], _general(), done=tried) == 1
    assert pages[0].lines[0].text == TITLE
    assert pages[0].lines[0].confidence >= as_is.confidence + 0.05
    assert read_values_around_seals(pages, located, [spec], _general(), done=tried) == 0
    label_only = {"title": None}
    assert read_values_around_seals(pages, label_only, [spec], _general(), done=set()) == 0


class _Counting:
    """The real reader, counting the crops it is given."""

    def __init__(self, inner):
        self.inner, self.crops = inner, 0
        self.kind, self.sha256, self.charset = inner.kind, inner.sha256, inner.charset

    def recognize(self, images, *, keep_scores=False):
        self.crops += len(images)
        return self.inner.recognize(images, keep_scores=keep_scores)


def test_a_line_read_confidently_as_it_is_is_not_read_again():
    font = fonts.load_font(fonts.by_name("noto-sans-sc"), 32)
    width = font.getbbox("2026-12-03")[2] + 40
    line = Image.new("RGB", (width, 48), "white")
    draw = ImageDraw.Draw(line)
    draw.text((8, 24), "2026-12-03", font=font, fill=(20, 20, 20), anchor="lm")
    draw.rectangle((0, 0, width, 2), fill=tuple(int(c) for c in SEAL_RED))  # a seal's edge
    crop = np.ascontiguousarray(np.asarray(line)[:, :, ::-1])
    assert red_ink_share(crop) >= MIN_RED_SHARE
    counting = _Counting(_general())
    read = SealFreeReader(counting).recognize_one(crop)
    assert read.text == "2026-12-03" and read.confidence >= SURE
    assert counting.crops == 1, "sure as it is: no second reading"

    counting.crops = 0
    SealFreeReader(counting).recognize_one(_stamped(_line(TITLE), seed=0))
    assert counting.crops == 2, "read at 0.89 as it is: read again without the seal"


def test_a_value_box_read_in_gray_is_read_again_around_its_seal():
    """How processing.reading re-reads a numeric field's value box: gray first, then the colour
    crop without its red ink when the gray reading was unsure."""
    from recognition.engine.ink import read_around_seal

    colour = _stamped(_line(TITLE), seed=0)
    gray = np.asarray(Image.fromarray(colour[:, :, ::-1]).convert("L"))
    first = _general().recognize_one(gray)
    assert first.confidence < SURE
    read = read_around_seal(_general(), first, lambda: colour)
    assert read.text == TITLE and read.confidence > first.confidence
    sure = replace(first, confidence=SURE)
    assert read_around_seal(_general(), sure, lambda: pytest.fail("no crop needed")) is sure
    assert read_around_seal(_general(), first, lambda: gray) is first, "a gray crop has no red"
