"""Line finding on drawn pages and on the real sample pages."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from recognition.engine.lines import (
    LineBox,
    box_iou,
    find_lines,
    match_boxes,
    quad_to_box,
    reading_order,
)
from recognition.engine.preprocess import ImageError

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def page_with(texts: list[tuple[int, int, str]], size=(1200, 700), border=False) -> np.ndarray:
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    for x, y, text in texts:
        draw.text((x, y), text, font=font, fill=0)
    if border:
        draw.rectangle((40, 40, size[0] - 40, size[1] - 40), outline=0, width=3)
        draw.line((40, 300, size[0] - 40, 300), fill=0, width=3)
        draw.line((500, 40, 500, size[1] - 40), fill=0, width=3)
    return np.asarray(img)


def test_three_lines_come_out_top_to_bottom():
    page = page_with(
        [(100, 100, "FIRST LINE 123"), (100, 200, "second line"), (100, 300, "THIRD 456.00")]
    )
    boxes = find_lines(page)
    assert len(boxes) == 3
    assert [b.y0 for b in boxes] == sorted(b.y0 for b in boxes)
    assert all(15 <= b.height <= 40 for b in boxes)


def test_columns_far_apart_are_separate_boxes_in_reading_order():
    page = page_with(
        [(80, 100, "TOTAL"), (800, 100, "15.00"), (80, 200, "CASH"), (800, 200, "20.00")]
    )
    boxes = find_lines(page)
    assert len(boxes) == 4
    assert boxes[0].x0 < boxes[1].x0 and boxes[0].y0 < boxes[2].y0


def test_table_rulings_are_not_lines_and_do_not_join_cells():
    page = page_with(
        [(80, 120, "Name"), (560, 120, "ZHANG WEI"), (80, 400, "Amount"), (560, 400, "8,650.00")],
        border=True,
    )
    boxes = find_lines(page)
    assert len(boxes) == 4, boxes
    assert all(b.height < 60 and b.width < 400 for b in boxes)


def test_blank_page_has_no_lines():
    assert find_lines(np.full((800, 600), 255, np.uint8)) == []


def test_tiny_image_has_no_lines():
    assert find_lines(np.zeros((1, 1), np.uint8)) == []


@pytest.mark.parametrize("bad", [np.zeros(10, np.uint8), np.zeros((5, 5, 2), np.uint8)])
def test_non_image_array_raises_a_clear_error(bad):
    with pytest.raises(ImageError):
        find_lines(bad)


def test_colour_page_is_read_like_gray():
    gray = page_with([(100, 100, "HELLO 42")])
    colour = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    assert find_lines(colour) == find_lines(gray)


def test_box_helpers():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert box_iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert quad_to_box([1, 2, 9, 2, 9, 8, 1, 8]) == (1, 2, 9, 8)
    assert match_boxes([(0, 0, 10, 10)], [(0, 0, 10, 10), (50, 50, 60, 60)]) == (1, 2)
    assert match_boxes([(0, 0, 10, 10), (1, 0, 11, 10)], [(0, 0, 10, 10)]) == (1, 1)


def test_reading_order_groups_rows_then_left_to_right():
    boxes = [LineBox(500, 102, 600, 130), LineBox(10, 100, 100, 128), LineBox(10, 200, 100, 228)]
    assert [b.x0 for b in reading_order(boxes)] == [10, 500, 10]


@pytest.mark.parametrize(("folder", "floor"), [("real", 0.80), ("real-zh", 0.85)])
def test_recall_on_the_real_sample_pages(samples, folder, floor):
    matched = total = 0
    for meta in sorted((samples / folder / "docs").glob("*.json")):
        image = next(p for p in meta.parent.glob(meta.stem + ".*") if p.suffix != ".json")
        truth = [quad_to_box(line["box"]) for line in json.loads(meta.read_text())["lines"]]
        found = [b.as_tuple() for b in find_lines(cv2.imread(str(image)))]
        hit, n = match_boxes(found, truth)
        matched, total = matched + hit, total + n
    assert matched / total >= floor
