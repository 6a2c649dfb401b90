"""The numeric CRNN served by ONNX Runtime reads exactly what the torch checkpoint reads, and the
serving path (reader, worker pipeline) never imports torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from recognition.engine.checkpoint import load_checkpoint
from recognition.engine.crnn_export import export_crnn_onnx
from recognition.engine.crnn_reader import CrnnOnnxReader
from recognition.engine.evaluate import read_labels
from recognition.engine.predictor import Predictor
from recognition.engine.readers import model_kind, open_reader
from recognition.engine.synth import write_line_set
from recognition.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "recognition" / "weights"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "numeric.onnx"
    export_crnn_onnx(load_checkpoint(WEIGHTS / "numeric.pt"), path)
    return path


def test_onnx_export_reads_like_the_checkpoint(exported, tmp_path):
    ckpt = load_checkpoint(WEIGHTS / "numeric.pt")
    write_line_set(tmp_path, ckpt.charset, numeric=True, n=60, seed=7)
    images = [cv2.imread(str(line.path), cv2.IMREAD_GRAYSCALE) for line in read_labels(tmp_path)]
    served = open_reader(exported)
    assert isinstance(served, CrnnOnnxReader) and model_kind(exported) == "numeric"
    ours = served.recognize(images, keep_scores=True)
    theirs = Predictor(ckpt, threads=1).recognize(images, keep_scores=True)
    assert [d.text for d in ours] == [d.text for d in theirs]
    assert max(abs(a.confidence - b.confidence) for a, b in zip(ours, theirs)) < 1e-4
    assert served.temperature == ckpt.temperature


def test_the_shipped_numeric_onnx_is_the_export_of_the_shipped_checkpoint(exported):
    shipped = open_reader(WEIGHTS / "numeric.onnx")
    assert shipped.charset.chars == open_reader(exported).charset.chars
    from recognition.engine.readers import onnx_metadata

    assert onnx_metadata(WEIGHTS / "numeric.onnx")["source_sha256"] == (
        load_checkpoint(WEIGHTS / "numeric.pt").sha256
    )


def test_splitting_wide_batches_changes_no_reading(exported, tmp_path, monkeypatch):
    from recognition.engine import crnn_reader

    write_line_set(
        tmp_path, load_checkpoint(WEIGHTS / "numeric.pt").charset, numeric=True, n=40, seed=3
    )
    images = [cv2.imread(str(line.path), cv2.IMREAD_GRAYSCALE) for line in read_labels(tmp_path)]
    served = open_reader(exported)
    monkeypatch.setattr(crnn_reader, "MAX_BATCH_PIXELS", 10**9)
    whole = served.recognize(images)
    monkeypatch.setattr(crnn_reader, "MAX_BATCH_PIXELS", 1)  # every line alone
    alone = served.recognize(images)
    assert [d.text for d in alone] == [d.text for d in whole]
    assert max(abs(a.confidence - b.confidence) for a, b in zip(alone, whole)) < 1e-5
    assert len({d.text for d in whole}) > 30


def test_a_bad_crop_is_empty_not_an_error(exported):
    import numpy as np

    served = open_reader(exported)
    assert served.recognize_one(np.zeros((0, 0), np.uint8)).text == ""


@pytest.mark.timeout(120)
def test_serving_both_shipped_models_never_imports_torch():
    probe = (
        "import sys, numpy as np\n"
        "from recognition.engine.readers import open_reader\n"
        "line = np.full((32, 200), 255, np.uint8)\n"
        f"for name in {(SHIPPED['numeric'], SHIPPED['general'])!r}:\n"
        f"    open_reader({str(WEIGHTS)!r} + '/' + name).recognize([line])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')\n"
    )
    if not (WEIGHTS / SHIPPED["general"]).is_file():
        pytest.fail(
            f"recognition/weights/{SHIPPED['general']} is missing: scripts/bootstrap.sh writes it"
        )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=110
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
