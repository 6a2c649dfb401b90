"""Serving sessions share one arena per process and compute exactly what a default session does."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from recognition.engine.onnx_session import serving_session
from recognition.engine.ppocr.config import TINY
from recognition.engine.ppocr.source import find_model

ROOT = Path(__file__).resolve().parents[2]
NUMERIC = ROOT / "recognition" / "weights" / "numeric.onnx"


def plain(path: Path) -> ort.InferenceSession:
    """ONNX Runtime's defaults (an arena of its own), on one thread as the serving session."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def line_input(session: ort.InferenceSession, width: int, seed: int) -> dict[str, np.ndarray]:
    spec = session.get_inputs()[0]
    channels, height = spec.shape[1], spec.shape[2]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(2, channels, height, width)).astype(np.float32)
    return {spec.name: x}


def test_models_on_the_shared_arena_read_as_on_their_own() -> None:
    files = [NUMERIC, find_model(TINY).path]
    shared = [serving_session(path) for path in files]
    shared.append(serving_session(files[0]))  # a second session of a file: registered once
    for i, (path, session) in enumerate(zip(files + files[:1], shared)):
        alone = plain(path)
        for width in (96, 320, 800, 160):  # growing and shrinking inputs reuse arena chunks
            feed = line_input(alone, width, seed=i * 10 + width)
            (expected,) = alone.run(None, feed)
            (got,) = session.run(None, feed)
            np.testing.assert_array_equal(got, expected)


def test_a_missing_file_is_an_error_not_a_session(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="missing.onnx"):
        serving_session(tmp_path / "missing.onnx")
