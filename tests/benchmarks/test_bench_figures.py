"""The benchmarks' own arithmetic: how a field counts as auto-accepted, wrong or reviewed, how the
threshold sweep re-decides fields, and the space rule every engine is scored by."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.e2e_figures import auto_accepted, pick_thresholds, quality, sweep
from bench.engines import tidy_spaces

ROOT = Path(__file__).resolve().parents[2]


def field(doc, value, truth, confidence, *, status="auto_accepted", reasons=(), kind="amount"):
    return {
        "doc": doc,
        "type": "bank_slip",
        "key": f"k{value}",
        "kind": kind,
        "value": value,
        "truth": truth,
        "confidence": confidence,
        "status": status,
        "reasons": list(reasons),
        "threshold": 0.9,
    }


FIELDS = [
    field("a", "12.00", "12.00", 0.99),
    field("a", "13.00", "18.00", 0.95),  # confidently wrong
    field("b", "7", "7", 0.6, status="needs_review", reasons=["low_confidence"]),
    field(
        "b", "x", "1990-01-01", 0.99, status="needs_review", reasons=["rule_failed"], kind="date"
    ),
    field("c", "", "", 0.0),  # optional, absent on the bill, accepted empty
]


def test_quality_counts_what_the_pipeline_decided():
    q = quality(FIELDS)
    assert q["fields"] == 5
    assert q["accuracy_before_review"] == pytest.approx(3 / 5)
    assert q["auto_accepted"] == 3 and q["auto_accepted_wrong"] == 1
    assert q["auto_accepted_error_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert q["review_rate"] == pytest.approx(2 / 5)
    assert q["no_touch_documents"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_threshold_re_decides_confidence_but_never_a_rule_failure():
    low = field("x", "7", "7", 0.6, status="needs_review", reasons=["low_confidence"])
    ruled = FIELDS[3]
    assert auto_accepted(low, 0.5) and not auto_accepted(low, 0.7)
    assert not auto_accepted(ruled, 0.5)
    assert auto_accepted(FIELDS[4], 0.99), "an absent optional field does not wait for a clerk"


def test_sweep_trades_review_rate_for_errors():
    rows = {r["threshold"]: r for r in sweep(FIELDS)}
    assert rows[0.5]["auto_accepted"] == 4
    assert rows[0.96]["auto_accepted_wrong"] == 0
    assert rows[0.96]["review_rate"] > rows[0.5]["review_rate"]


def test_pick_thresholds_finds_the_lowest_safe_threshold_per_kind():
    picked = pick_thresholds(FIELDS, 0.0)
    assert picked["amount"]["threshold"] == 0.96
    assert picked["date"]["threshold"] is None


@pytest.mark.parametrize(
    ("text", "tidy"),
    [
        ("收 款 人 张 三", "收款人张三"),
        ("TOTAL  12.00", "TOTAL 12.00"),
        ("金额 ¥ 12.00", "金额¥12.00"),
        (" 发票号码： 123 ", "发票号码:123"),
        ("发票号码: 123", "发票号码:123"),
        ("ＡＢＣ 12", "ABC 12"),
    ],
)
def test_tidy_spaces(text, tidy):
    assert tidy_spaces(text) == tidy


@pytest.mark.slow
def test_e2e_benchmark_runs_bills_through_the_pipeline(tmp_path):
    """One bill per type with our engine and a peer (published PP-OCRv6 tiny, in place of both
    our models and with no fast reader in front), one worker: the benchmark's whole path."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "OCR_VAR"))}
    subprocess.run(
        [
            sys.executable,
            "bench/e2e.py",
            "--bills",
            "1",
            "--engines",
            "ours,ppocr-v6-tiny",
            "--workers",
            "1",
            "--out",
            str(tmp_path / "e2e"),
        ],
        cwd=root,
        env=env,
        check=True,
        timeout=300,
    )
    report = json.loads((tmp_path / "e2e.json").read_text())
    ours = report["engines"]["ours"]
    assert ours["overall"]["documents"] == 3
    assert ours["overall"]["fields"] >= 20
    assert ours["speed"]["1"]["failed_documents"] == 0
    assert ours["speed"]["1"]["pages_per_min"] > 0
    assert 0 <= ours["overall"]["review_rate"] <= 1
    assert len(ours["sweep"]) > 10
    peer = report["engines"]["ppocr-v6-tiny"]
    assert peer["overall"]["documents"] == 3 and peer["speed"]["1"]["failed_documents"] == 0
    assert peer["overall"]["fields"] == ours["overall"]["fields"]


def test_a_page_photographed_at_12_megapixels_keeps_its_truth_boxes_on_the_text():
    """bench/line_recall.py --camera: the page on a 4000 x 3000 frame, its boxes moved with it."""
    import cv2
    import numpy as np

    from bench.line_recall import photographed

    page = np.full((900, 1600, 3), 255, np.uint8)
    cv2.rectangle(page, (400, 300), (1200, 360), (0, 0, 0), -1)  # one black "line" of text
    quad = [400, 300, 1200, 300, 1200, 360, 400, 360]
    frame, (moved,) = photographed(page, [quad], seed=3, look="camera")
    assert frame.shape == (3000, 4000, 3)
    xs, ys = moved[0::2], moved[1::2]
    inside = frame[int(min(ys)) + 10 : int(max(ys)) - 10, int(min(xs)) + 20 : int(max(xs)) - 20]
    assert inside.size and inside.mean() < 100, "the moved box no longer lies on the dark line"
    assert max(xs) - min(xs) > 1.5 * 800, "the page is enlarged to fill the frame"


def test_the_red_seal_benchmark_has_stamped_lines_to_measure():
    """bench/red_seals.py chooses on rendered bills: their seals must put red ink on lines, and
    reading around them must not lose a stamped line the plain reading got right."""
    from bench.engines import ours_reader
    from bench.red_seals import rendered

    reader = ours_reader("general", seals=False)
    counts = rendered(reader, bills=1)
    assert counts["red_lines"] >= 2 and counts["lines"] > counts["red_lines"]
    assert counts["red_unsure"] >= counts["red_as_is"]
    assert counts["second_readings"] <= counts["red_lines"]


def test_peers_read_colour_crops_unless_asked_for_gray(tmp_path):
    import cv2
    import numpy as np

    from bench.peers import load_crop

    path = tmp_path / "line.png"
    crop = np.full((32, 120, 3), 255, np.uint8)
    crop[8:24, 10:60] = (40, 30, 200)  # red print, BGR
    cv2.imwrite(str(path), crop)
    assert np.array_equal(load_crop(path, gray=False), crop)
    assert load_crop(path, gray=True).ndim == 2
