"""Unmatched truth lines told apart: inside a longer line, in pieces, merged with another row,
partly found, missed."""

from __future__ import annotations

import pytest

from recognition.engine.line_coverage import Coverage, coverage, miss_kind

TRUTH = (100, 10, 200, 30)  # one printed word, 20 px high
BELOW = (100, 40, 200, 58)  # the word on the next row


@pytest.mark.parametrize(
    ("found", "kind"),
    [
        ([(0, 8, 400, 32)], "joined"),  # a whole printed line holding the word
        ([(0, 4, 400, 36)], "joined"),  # 1.6 times its height
        ([(0, 0, 400, 60)], "merged"),  # taller: holds more than its row (a seal, a ruling)
        ([(0, 10, 180, 30)], "joined"),  # 80 % of its width
        ([(0, 10, 170, 30)], "partial"),  # 70 %, one box
        ([(100, 6, 148, 34), (152, 6, 200, 34)], "split"),  # padded pieces stick out vertically
        ([(100, 10, 137, 30), (100, 10, 137, 30)], "partial"),  # one span twice is 37 %, once
        ([(100, 10, 140, 30)], "partial"),
        ([(100, 10, 120, 30)], "missed"),  # 20 %
        ([(100, 40, 200, 60)], "missed"),  # the row below
        ([(300, 10, 400, 30)], "missed"),
        ([], "missed"),
    ],
)
def test_an_unmatched_truth_line_is_told_by_how_boxes_on_its_row_cover_it(found, kind):
    assert miss_kind(TRUTH, found, [TRUTH]) == kind


def test_a_box_that_also_holds_the_next_row_merges_them():
    low = (0, 8, 400, 44)  # 1.8 times the word's height
    assert miss_kind(TRUTH, [(0, 8, 400, 50)], [TRUTH, BELOW]) == "merged"  # over half of BELOW
    assert miss_kind(BELOW, [(0, 8, 400, 50)], [TRUTH, BELOW]) == "merged"
    assert miss_kind(TRUTH, [(0, 8, 400, 40)], [TRUTH, BELOW]) == "joined"  # BELOW not reached
    assert miss_kind(TRUTH, [low], [TRUTH]) == "merged"  # too tall, though no other truth row


def test_every_truth_line_is_counted_once():
    truth = [
        TRUTH,
        (100, 70, 200, 90),
        (100, 110, 200, 130),
        (100, 150, 200, 170),
        (400, 10, 500, 30),
    ]
    found = [
        (98, 9, 202, 31),  # matches the first
        (0, 68, 400, 92),  # holds the second
        (100, 108, 148, 132),
        (152, 108, 200, 132),  # the third in two pieces
        (100, 150, 130, 170),  # 30 % of the fourth
    ]
    result = coverage(found, truth)
    assert result == Coverage(matched=1, joined=1, split=1, partial=1, missed=1)
    assert (result.truth, result.covered) == (5, 3)
    assert result + result == Coverage(2, 2, 2, 0, 2, 2)
