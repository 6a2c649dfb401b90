"""Edit distance, exact-line rate and character error rate, compared after folding."""

from __future__ import annotations

import pytest

from recognition.engine.metrics import Score, comparable, edit_distance, score_pairs


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("", "", 0),
        ("abc", "abc", 0),
        ("abc", "", 3),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
        ("flaw", "lawn", 2),
        ("ab", "ba", 2),  # a swap is two edits, not one
        ("张伟", "张玮", 1),
        ("6222021", "622021", 1),
        ("壹仟元整", "壹仟圆整", 1),
        ("110101199003071234", "110101199003071234X", 1),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance
    assert edit_distance(b, a) == distance


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("金额：１２３", {}, "金额:123"),
        ("￥1,000", {}, "¥1,000"),
        ("Total  Due", {}, "Total Due"),
        ("Total Due", {"ignore_case": True}, "TOTAL DUE"),
        ("6222 0210 0012", {"ignore_spaces": True}, "622202100012"),
        ("ａｂ\u3000ｃ", {"ignore_case": True, "ignore_spaces": True}, "ABC"),
    ],
)
def test_comparable_folds_then_applies_the_options(text, options, expected):
    assert comparable(text, **options) == expected


def test_score_counts_exact_lines_and_edit_errors_per_reference_character():
    score = Score()
    assert score.add("张伟", "张伟") is True
    assert score.add("6222021", "6222O21") is False  # one substitution in seven characters
    assert score.add("", "abc") is False  # three deletions
    assert score.lines == 3
    assert score.exact == 1
    assert score.errors == 0 + 1 + 3
    assert score.chars == 2 + 7 + 3
    assert score.exact_rate == pytest.approx(1 / 3)
    assert score.cer == pytest.approx(4 / 12)


def test_score_compares_after_folding():
    score = Score()
    assert score.add("金额:¥12", "金额：￥１２") is True
    assert score.cer == 0.0


def test_score_ignores_case_only_when_asked():
    assert Score().add("total", "TOTAL") is False
    assert Score().add("total", "TOTAL", ignore_case=True) is True


def test_an_empty_reference_counts_as_one_character():
    score = Score()
    score.add("xy", "")
    assert score.chars == 1
    assert score.cer == pytest.approx(2.0)


def test_an_empty_score_reports_zero_rates():
    assert Score().exact_rate == 0.0
    assert Score().cer == 0.0


def test_score_pairs_scores_predicted_truth_pairs():
    score = score_pairs([("abc", "ABC"), ("ab", "abc")], ignore_case=True)
    assert (score.lines, score.exact, score.errors, score.chars) == (2, 1, 1, 6)
