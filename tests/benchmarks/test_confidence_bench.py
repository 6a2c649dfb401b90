"""bench/confidence.py measures the model file the app serves (it once read a retired checkpoint
and failed), and its figures agree with the lines it read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recognition.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
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
    wrong = round((1 - report["exact"]) * 24)
    for name in ("raw", "calibrated"):
        if name in report:
            figures = report[name]["at_0_9"]
            above = round((1 - figures["share_below"]) * 24)
            assert round(figures["wrong_share_above"] * above) <= wrong
