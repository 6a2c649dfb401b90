"""bench/confidence.py measures the model file the app serves (it once read a retired checkpoint
and failed), and its figures agree with the lines it read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recognition.engine.evaluate import load_image, read_labels
from recognition.engine.readers import open_reader
from recognition.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(450)
@pytest.mark.parametrize("kind", ["general", "numeric"])
def test_confidence_bench_reads_the_shipped_model(tmp_path: Path, kind: str) -> None:
    env = {**os.environ, "DJANGO_DEBUG": "1", "OCR_VAR_DIR": str(tmp_path / "var")}
    lines = tmp_path / "lines"
    make = [sys.executable, "manage.py", "make_line_set", "--kind", kind, "-n", "24"]
    subprocess.run([*make, "--out", str(lines)], cwd=ROOT, env=env, check=True, timeout=200)
    out = tmp_path / "confidence"
    run = subprocess.run(
        [sys.executable, "bench/confidence.py", "--kind", kind, "--lines", str(lines)]
        + ["--out", str(out), "--threads", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(out.with_suffix(".json").read_text())
    assert report["model"] == SHIPPED[kind] and report["lines"] == 24
    assert report["exact"] >= 0.5, "the shipped model reads most of its own kind's lines"
    binned = sum(b["lines"] for b in report["raw"]["bins"])
    assert binned == 24, "every line falls in one confidence bin"
    # The calibrated figures are the served confidences: the reader's own, at its own temperature.
    reader = open_reader(ROOT / "recognition" / "weights" / SHIPPED[kind])
    assert report["shipped_temperature"] == pytest.approx(reader.temperature)
    decoded = reader.recognize([load_image(line.path) for line in read_labels(lines)])
    served = sorted(d.confidence for d in decoded)
    name = "calibrated" if reader.temperature != 1.0 else "raw"
    assert name in report and (kind != "general" or "calibrated" in report)
    below = sum(c < 0.9 for c in served) / len(served)
    assert report[name]["at_0_9"]["share_below"] == pytest.approx(below, abs=1e-4)
    bins = [b for b in report[name]["bins"] if b["lines"]]
    mean = sum(b["lines"] * b["mean_confidence"] for b in bins) / 24
    assert mean == pytest.approx(sum(served) / len(served), abs=1e-3)
