"""The scoring harness: labels.tsv parsing, per-line recogniser routing and the score breakdowns.

The recognisers here are stubs that read a line's identity from its pixels, because what is under
test is the harness, not a model.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from recognition.engine.ctc import Decoded
from recognition.engine.evaluate import (
    NUMERIC_CATEGORIES,
    LabelledLine,
    evaluate,
    load_image,
    read_labels,
)

# -- read_labels -----------------------------------------------------------------------------------


def write_labels(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.tsv").write_text(text, encoding="utf-8")
    return folder


def test_read_labels_parses_two_three_and_four_column_rows(tmp_path):
    folder = write_labels(
        tmp_path,
        "a.png\t张伟\nb.png\t¥1,234.00\tamount\nc.png\t2024年5月1日\tdate\twqy-zenhei\n",
    )
    assert read_labels(folder) == [
        LabelledLine(tmp_path / "a.png", "张伟"),
        LabelledLine(tmp_path / "b.png", "¥1,234.00", "amount"),
        LabelledLine(tmp_path / "c.png", "2024年5月1日", "date", "wqy-zenhei"),
    ]


def test_read_labels_skips_blank_rows_and_keeps_quotes_and_spaces_in_texts(tmp_path):
    folder = write_labels(tmp_path, '\na.png\tTOTAL "12" \n\nb.png\t6222 0210\n')
    texts = [line.text for line in read_labels(folder)]
    assert texts == ['TOTAL "12" ', "6222 0210"]


def test_read_labels_rejects_a_row_without_a_text(tmp_path):
    folder = write_labels(tmp_path, "a.png\t张伟\nb.png\n")
    with pytest.raises(ValueError, match="without a text"):
        read_labels(folder)


def test_read_labels_needs_labels_tsv(tmp_path):
    with pytest.raises(FileNotFoundError, match="labels.tsv"):
        read_labels(tmp_path)


def test_load_image_refuses_a_file_that_is_not_an_image(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.png").write_bytes(b"not a png at all")
    for name in ("empty.png", "junk.png"):
        with pytest.raises(ValueError, match="not a readable image"):
            load_image(tmp_path / name)


# -- evaluate --------------------------------------------------------------------------------------

# (truth, category, font, prediction): the stub reads line k from the gray level 10 * (k + 1).
TABLE = [
    ("110101199003071234", "id_number", "wqy-zenhei", "110101199003071234"),
    ("¥1,234.00", "amount", "wqy-zenhei", "¥1,284.00"),  # 1 error / 9
    ("2024-05-01", "date", "liberation-serif", "2024-05-01"),
    ("张伟", "name", "wqy-zenhei", "张伟"),
    ("北京市海淀区", "address", "liberation-serif", "北京市海定"),  # 2 errors / 6
    ("TOTAL 12.50", "", "", "total 12.50"),  # 5 case errors / 11, exact with ignore_case
]


@pytest.fixture
def line_set(tmp_path) -> list[LabelledLine]:
    rows = []
    for k, (truth, category, font, _) in enumerate(TABLE):
        cv2.imwrite(str(tmp_path / f"{k}.png"), np.full((16, 24 + 8 * k), 10 * (k + 1), np.uint8))
        rows.append("\t".join([f"{k}.png", truth, category, font]).rstrip("\t"))
    write_labels(tmp_path, "\n".join(rows) + "\n")
    return read_labels(tmp_path)


class StubRecognizer:
    """Answers line k with TABLE[k]'s prediction; remembers which lines it was given."""

    def __init__(self, confidence: float = 0.95) -> None:
        self.confidence = confidence
        self.seen: set[int] = set()

    def __call__(self, images: list[np.ndarray]) -> list[Decoded]:
        out = []
        for image in images:
            k = int(image[0, 0]) // 10 - 1
            self.seen.add(k)
            out.append(Decoded(TABLE[k][3], self.confidence))
        return out


def test_evaluate_scores_exact_lines_and_character_errors(line_set):
    report = evaluate(line_set, lambda line: StubRecognizer())
    chars = sum(len(truth) for truth, *_ in TABLE)
    assert report.overall.lines == 6
    assert report.overall.exact == 3
    assert report.overall.exact_rate == pytest.approx(0.5)
    assert report.overall.cer == pytest.approx((1 + 2 + 5) / chars)


def test_evaluate_ignores_case_on_request(line_set):
    report = evaluate(line_set, lambda line: StubRecognizer(), ignore_case=True)
    assert report.overall.exact == 4
    assert report.by_category["-"].exact == 1


def test_evaluate_breaks_scores_down_by_category_and_font(line_set):
    report = evaluate(line_set, lambda line: StubRecognizer())
    assert set(report.by_category) == {"id_number", "amount", "date", "name", "address", "-"}
    assert report.by_category["amount"].cer == pytest.approx(1 / 9)
    assert report.by_category["address"].exact == 0
    assert report.by_category["id_number"].exact_rate == 1.0
    # Lines without a font are left out of the font breakdown.
    assert set(report.by_font) == {"wqy-zenhei", "liberation-serif"}
    assert (report.by_font["wqy-zenhei"].lines, report.by_font["wqy-zenhei"].exact) == (3, 2)
    assert (report.by_font["liberation-serif"].lines, report.by_font["liberation-serif"].exact) == (
        2,
        1,
    )


def test_evaluate_lists_each_failure_with_its_truth_and_prediction(line_set):
    report = evaluate(line_set, lambda line: StubRecognizer())
    assert sorted(report.failures) == sorted(
        (f"{k}.png", truth, predicted)
        for k, (truth, _, _, predicted) in enumerate(TABLE)
        if truth != predicted
    )


@pytest.mark.parametrize("batch_size", [1, 2, 64])
def test_evaluate_routes_each_line_to_the_recognizer_chosen_for_it(line_set, batch_size):
    numeric, general = StubRecognizer(), StubRecognizer()

    def choose(line: LabelledLine):
        return numeric if line.category in NUMERIC_CATEGORIES else general

    report = evaluate(line_set, choose, batch_size=batch_size)
    assert numeric.seen == {0, 1, 2}
    assert general.seen == {3, 4, 5}
    assert report.overall.lines == len(TABLE)


def test_confident_wrong_lines_show_in_the_report(line_set):
    sure, unsure = StubRecognizer(confidence=0.99), StubRecognizer(confidence=0.5)

    def choose(line: LabelledLine):
        return sure if line.category in {"id_number", "amount"} else unsure

    summary = evaluate(line_set, choose).as_dict()
    # Two lines at confidence >= 0.9 and one of them (the amount) is wrong.
    assert summary["wrong_share_at_conf_0_9"] == pytest.approx(0.5)
    assert summary["share_below_conf_0_9"] == pytest.approx(4 / 6, abs=1e-4)  # rounded
    assert summary["lines"] == 6
    assert summary["exact"] == pytest.approx(0.5)
    assert set(summary["by_category"]) == {"id_number", "amount", "date", "name", "address", "-"}


def test_latency_is_timed_on_at_most_the_sampled_lines(line_set):
    report = evaluate(line_set, lambda line: StubRecognizer(), latency_sample=2)
    assert len(report.latencies_ms) == 2
    assert all(ms >= 0 for ms in report.latencies_ms)
    assert report.batched_lines_per_s > 0
    silent = evaluate(line_set, lambda line: StubRecognizer(), latency_sample=0).as_dict()
    assert silent["latency_ms_median"] is None
