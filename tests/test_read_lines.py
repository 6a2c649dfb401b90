"""manage.py read_lines: one line of text per input on stdout, nothing else, for scripts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recognition.engine.evaluate import read_labels
from recognition.engine.readers import open_reader
from recognition.engine.synth import write_line_set
from recognition.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[1]
GENERAL = ROOT / "recognition" / "weights" / SHIPPED["general"]


def _run(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "read_lines", *args],
        cwd=ROOT,
        input=stdin,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "1",
            "OCR_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def crops(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("lines")
    write_line_set(folder, open_reader(GENERAL).charset, numeric=False, n=4, seed=11)
    return [line.path for line in read_labels(folder)]


@pytest.mark.timeout(150)
def test_paths_from_arguments_give_one_line_each_in_order(crops, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    paths = [str(crops[0]), str(broken), str(crops[1])]
    run = _run(paths, tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout.split("\n")
    assert len(out) == 4 and out[-1] == "", "exactly one line per input"
    expected = [open_reader(GENERAL).recognize_one(_gray(p)).text for p in (crops[0], crops[1])]
    assert [out[0], out[1], out[2]] == [expected[0], "", expected[1]]
    assert "general model" in run.stderr


@pytest.mark.timeout(150)
def test_paths_from_stdin(crops, tmp_path):
    run = _run(["--model", "numeric"], tmp_path, stdin="\n".join(map(str, crops)) + "\n")
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == len(crops)


def _gray(path: Path):
    import cv2

    return cv2.imread(str(path), cv2.IMREAD_COLOR)


@pytest.mark.timeout(150)
def test_each_line_is_flushed_before_the_next_path_arrives(crops, tmp_path):
    """A script may feed one path, wait for its line, then decide on the next."""
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "read_lines", "--model", "auto", "--threads", "2"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "1",
            "OCR_VAR_DIR": str(tmp_path / "var"),
        },
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        expected = open_reader(GENERAL).recognize_one(_gray(crops[0])).text
        proc.stdin.write(f"{crops[0]}\n")
        proc.stdin.flush()
        assert proc.stdout.readline() == expected + "\n", "auto reads with the general model"
        proc.stdin.write(f"{crops[1]}\n")
        proc.stdin.close()
        assert proc.stdout.readline().strip()
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()
