"""Unmatched truth lines told apart: joined into a longer line, split into pieces, partly found,
missed."""

from __future__ import annotations

import pytest

from recognition.engine.line_coverage import Coverage, coverage, miss_kind
from recognition.engine.lines import match_boxes

TRUTH = (100, 10, 200, 30)  # one printed word, 20 px high


@pytest.mark.parametrize(
    ("found", "kind"),
    [
        ([(0, 8, 400, 32)], "joined"),  # a whole printed line holding the word
        ([(0, 0, 400, 120)], "partial"),  # a block of several lines is not a line
        ([(100, 10, 148, 30), (152, 10, 200, 30)], "split"),
        ([(100, 10, 140, 30)], "partial"),  # 40 % of it
        ([(100, 10, 120, 30)], "missed"),  # 20 %
        ([(300, 10, 400, 30)], "missed"),
        ([], "missed"),
    ],
)
def test_an_unmatched_truth_line_is_told_by_how_found_boxes_cover_it(found, kind):
    assert miss_kind(TRUTH, found) == kind


def test_every_truth_line_is_counted_once_and_matches_agree_with_match_boxes():
    truth = [TRUTH, (100, 50, 200, 70), (100, 90, 200, 110), (100, 130, 200, 150)]
    found = [
        (98, 9, 202, 31),  # matches the first
        (0, 48, 400, 72),  # holds the second
        (100, 90, 148, 110),
        (152, 90, 200, 110),  # the third in two pieces
    ]
    result = coverage(found, truth)
    assert result == Coverage(matched=1, joined=1, split=1, missed=1)
    assert (result.matched, result.truth) == match_boxes(found, truth)
    assert result.covered == 3
