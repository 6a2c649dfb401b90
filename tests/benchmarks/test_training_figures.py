"""The learning curves come from the committed fine-tuning logs, and every held-out miss the
audit names has a verdict a person gave."""

from __future__ import annotations

import json
from pathlib import Path

from bench import heldout_misses, learning_curves

ROOT = Path(__file__).resolve().parents[2]


def test_learning_curves_join_a_resumed_run_onto_the_first():
    rows = learning_curves.points(learning_curves.RUNS[0])
    resumed = learning_curves.points(learning_curves.RUNS[1], rows[-1]["hours"])
    assert [r["step"] for r in rows] == [0, 250, 500]
    assert resumed[0]["step"] == 500 == rows[-1]["step"], "run 2 starts where run 1 stopped"
    assert resumed[0]["heldout"] == rows[-1]["heldout"], "from the same checkpoint"
    assert all(b["hours"] >= a["hours"] for a, b in zip(resumed, resumed[1:]))
    assert resumed[1]["lines_seen"] == 800 * 24 and resumed[1]["hours"] > rows[-1]["hours"]
    assert max(r["heldout"] for r in rows + resumed) < 0.93, "the flat curve the card reports"


def test_every_committed_miss_has_a_verdict_and_the_bound_follows_from_them():
    report = json.loads((ROOT / "bench/results/heldout-misses.json").read_text())
    known = heldout_misses.verdicts()
    assert {m["line"] for m in report["misses"]} <= set(known)
    assert all((m["verdict"], m["reason"]) == known[m["line"]] for m in report["misses"])
    assert {v for v, _ in known.values()} <= {"speck", "look-alike", "model"}
    in_crop = sum(m["verdict"] in heldout_misses.IN_THE_CROP for m in report["misses"])
    assert report["readable"] == report["lines"] - in_crop
    assert f"allows about {report['readable'] / report['lines']:.1%} exact" in (
        heldout_misses.markdown(report)
    )
