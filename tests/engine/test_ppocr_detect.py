"""PP-OCRv6 text detector (ppocr.detect): lines of a rendered bill, bad input, real sample pages.

Runs the real detector file from the pinned rapidocr wheel; skipped where that wheel is missing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from demo.render import render_bill
from recognition.engine.lines import LineBox, match_boxes, quad_to_box
from recognition.engine.ppocr.detect import (
    DetectorSettings,
    TextDetector,
    boxes_from_map,
    hybrid,
    input_size,
    split_vertical,
    strips,
)
from recognition.engine.ppocr.source import DETECTOR, SourceError, find_model


@cache
def _detector() -> TextDetector:
    return TextDetector(find_model(DETECTOR).path, threads=1)


@pytest.fixture
def detector() -> TextDetector:
    try:
        return _detector()
    except SourceError as exc:
        pytest.skip(str(exc))


def _recall(found: list[LineBox], truth: list[tuple[int, int, int, int]]) -> float:
    hit, total = match_boxes([b.as_tuple() for b in found], truth)
    return hit / total


# Measured: 29 of 30 lines of the clean slip, 30 of 30 of the stamped, tilted one.
@pytest.mark.parametrize("degrade", [False, True])
def test_detector_finds_the_lines_of_a_rendered_bank_slip(detector, degrade):
    bill = render_bill("bank_slip", 7, degrade=degrade)
    page = np.asarray(bill.image.convert("L"))
    found = detector.find_lines(page)
    assert _recall(found, [box for _, box in bill.lines]) >= 0.9


def test_gray_and_bgr_pages_give_the_same_lines_in_reading_order(detector):
    page = np.asarray(render_bill("bank_slip", 7, degrade=False).image.convert("L"))
    gray = detector.find_lines(page)
    assert gray == detector.find_lines(cv2.cvtColor(page, cv2.COLOR_GRAY2BGR))
    centres = [(b.y0 + b.y1) / 2 for b in gray]
    assert centres[0] == min(centres)  # top row first
    assert all(
        0 <= b.x0 < b.x1 <= page.shape[1] and 0 <= b.y0 < b.y1 <= page.shape[0] for b in gray
    )


@pytest.mark.parametrize(
    "page",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((1, 500), np.uint8),
        np.zeros((10,), np.uint8),
        np.zeros((20, 20, 2), np.uint8),
        np.array([["a", "b"], ["c", "d"]]),
        np.full((200, 300), 255, np.uint8),  # blank
        np.full((200, 300, 3), np.nan, np.float32),
    ],
    ids=["empty", "one-row", "1-d", "two-channel", "strings", "blank", "nan"],
)
def test_bad_or_blank_pages_give_no_lines(detector, page):
    assert detector.find_lines(page) == []


def test_none_gives_no_lines(detector):
    assert detector.find_lines(None) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("h", "w", "size"),
    [
        (1100, 1700, (1088, 1696)),  # A4 landscape at 100 dpi: as it is, to multiples of 32
        (2200, 900, (1984, 832)),  # long receipt: longer side down to 2000
        (2214, 752, (2176, 736)),  # narrow receipt: then shorter side back up to 736
        (4000, 3000, (1984, 1504)),  # photo: longer side to 2000 (62.5 rounds to even)
        (20, 40, (736, 1472)),  # tiny: raised to 736
        (20, 20000, (32, 8000)),  # a thin strip: never longer than 4 x 2000
    ],
)
def test_network_input_size(h, w, size):
    assert input_size(h, w, 736, 2000) == size


@pytest.mark.parametrize(
    ("h", "w", "size"),
    [
        (1754, 1240, (1760, 1248)),  # A4 at 150 dpi (2.2 Mpx): as it is
        (4000, 3000, (1856, 1376)),  # a 12 Mpx photo: 2.55 Mpx instead of 3.0
        (3000, 4000, (1376, 1856)),
        (2214, 752, (2176, 736)),  # a narrow receipt is under the cap: as before
        (1810, 1430, (1792, 1408)),  # rounding up to 32 would pass the cap (1824 x 1440)
    ],
)
def test_the_network_input_is_capped_in_pixels(h, w, size):
    rh, rw = input_size(h, w, 736, 2000, 2_600_000)
    assert (rh, rw) == size and rh * rw <= 2_600_000
    assert DetectorSettings().max_pixels == 2_600_000


@pytest.mark.parametrize(("height", "rows"), [(1376, 480), (1760, 640), (1024, 320), (704, 480)])
def test_strips_tile_the_input_with_context_on_both_sides(height, rows):
    parts = strips(height, rows, 96)
    assert [p[2] for p in parts] == list(range(0, height, rows)) or len(parts) == 1
    assert parts[0][2] == 0 and parts[-1][3] == height
    assert all(a[3] == b[2] for a, b in zip(parts, parts[1:])), "kept rows meet, never overlap"
    for top, bottom, start, stop in parts:
        assert top % 32 == 0 and bottom % 32 == 0, "each strip a multiple of the stride"
        assert top == max(start - 96, 0) and bottom == min(stop + 96, height)


def test_no_strips_or_a_short_page_is_one_run_and_a_strip_off_the_stride_is_refused():
    assert strips(1376, 0, 96) == [(0, 1376, 0, 1376)]
    assert strips(640, 480, 96) == [(0, 640, 0, 640)]
    with pytest.raises(ValueError, match="multiples of 32"):
        strips(1376, 500, 96)


def test_strips_find_the_lines_the_whole_page_finds(detector):
    """Measured on this invoice (86 lines): 61 found on the whole page, 58 in strips of 320 rows,
    68 of the whole page's 73 boxes found again (squeeze-excitation blocks average over a strip,
    not the page, so the map differs a little)."""
    bill = render_bill("vat_invoice", 7, degrade=True)
    page = np.asarray(bill.image.convert("L"))
    whole = detector.find_lines(page)
    striped = TextDetector(detector.path, settings=DetectorSettings(strip_rows=320)).find_lines(
        page
    )
    truth = [box for _, box in bill.lines]
    assert _recall(striped, truth) >= _recall(whole, truth) - 0.05
    hit, _ = match_boxes([b.as_tuple() for b in striped], [b.as_tuple() for b in whole])
    assert hit >= 0.9 * len(whole)


def test_unclip_grows_a_region_by_area_over_perimeter():
    prob = np.zeros((64, 128), np.float32)
    prob[20:30, 10:90] = 0.9  # a shrunk text region, 79 x 9 between its pixel centres
    (box,) = boxes_from_map(prob, (256, 128), DetectorSettings())
    d = 79 * 9 * 1.5 / (2 * (79 + 9))  # ≈ 6 map pixels on each side
    # One map pixel is two page pixels.
    assert box == pytest.approx((2 * (10 - d), 2 * (20 - d), 2 * (89 + d), 2 * (29 + d)), abs=1)


def test_a_vertical_cjk_column_becomes_one_box_per_character():
    lines = [(100, 0, 400, 30), (100, 40, 300, 70), (100, 80, 350, 110)]
    column = (10, 0, 40, 150)  # as wide as a line is high, five characters tall
    narrow = (500, 0, 510, 30)  # a Latin "1": tall and thin, left alone
    boxes = split_vertical([*lines, column, narrow])
    assert boxes[:3] == lines and boxes[-1] == narrow
    assert boxes[3:-1] == [(10, y, 40, y + 30) for y in range(0, 150, 30)]


def test_hybrid_adds_line_finder_boxes_only_where_the_detector_found_nothing():
    detected = [LineBox(0, 0, 100, 20)]
    found = [LineBox(5, 2, 95, 18), LineBox(0, 40, 8, 58), LineBox(90, 0, 130, 20)]
    assert hybrid(detected, found) == [
        LineBox(0, 0, 100, 20),
        LineBox(90, 0, 130, 20),
        LineBox(0, 40, 8, 58),
    ]


def _sample_recall(detector: TextDetector, folder: Path) -> float:
    matched = total = 0
    for meta in sorted((folder / "docs").glob("*.json")):
        image = next(p for p in meta.parent.glob(meta.stem + ".*") if p.suffix != ".json")
        truth = [quad_to_box(line["box"]) for line in json.loads(meta.read_text())["lines"]]
        hit, n = match_boxes(
            [b.as_tuple() for b in detector.find_lines(cv2.imread(str(image)))], truth
        )
        matched, total = matched + hit, total + n
    return matched / total


# Measured with bench/line_recall.py --finder detector (IoU >= 0.5): 0.896 on the SROIE receipts,
# 0.899 on the Chinese e-invoices (the OpenCV finder: 0.907, 0.956; see test_lines.py).
@pytest.mark.slow
@pytest.mark.parametrize(("folder", "floor"), [("real", 0.88), ("real-zh", 0.89)])
def test_detector_recall_on_the_real_sample_pages(detector, samples, folder, floor):
    assert _sample_recall(detector, samples / folder) >= floor


MEMORY_PROBE = """
import sys
import numpy as np
from recognition.engine.ppocr.detect import TextDetector
from recognition.engine.ppocr.source import DETECTOR, find_model

def rss_mb():
    status = open("/proc/self/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024

detector = TextDetector(find_model(DETECTOR).path)
page = np.load(sys.argv[1])
detector.find_lines(page[:600, :600])  # the arena's first regions, kept as a serving process has
before = rss_mb()
for scale in (1.0, 0.9, 0.8):  # a new input size each time, as pages come
    h, w = int(page.shape[0] * scale), int(page.shape[1] * scale)
    assert detector.find_lines(page[:h, :w]), "the page has lines"
print(before, rss_mb())
"""


@pytest.mark.timeout(240)
def test_a_detector_run_gives_its_page_sized_memory_back(tmp_path):
    """A full page needs a few hundred MB of activations; the process keeps none of it between
    pages (without the arena's shrinkage it kept ~300 MB more over three page sizes)."""
    import subprocess
    import sys

    bill = render_bill("loan_application", seed=3)
    page = tmp_path / "page.npy"
    np.save(page, cv2.cvtColor(np.asarray(bill.image.convert("RGB")), cv2.COLOR_RGB2BGR))
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(page)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    before, after = map(int, run.stdout.split())
    assert after - before < 120, f"RSS grew from {before} to {after} MB over three pages"
