"""Predictor.recognize never fails a document over one bad crop, and keeps results in input order.

The model is a tiny randomly initialised CRNN saved to a temporary file: what it reads is noise, so
these tests check the contract (shape, order, failure handling), not accuracy.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from recognition.engine.charset import numeric_charset
from recognition.engine.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from recognition.engine.crnn import CRNN, CRNNConfig
from recognition.engine.ctc import Decoded
from recognition.engine.predictor import Predictor

NOTHING = Decoded("", 0.0)


@pytest.fixture(scope="module")
def checkpoint_path(tmp_path_factory):
    charset = numeric_charset()
    torch.manual_seed(0)
    config = CRNNConfig(
        num_classes=charset.num_classes, channels=(4, 4, 8, 8, 8, 8), lstm_hidden=8, lstm_layers=1
    )
    ckpt = Checkpoint(charset, config, CRNN(config).eval().state_dict(), kind="numeric")
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_checkpoint(path, ckpt)
    return path


@pytest.fixture(scope="module")
def predictor(checkpoint_path) -> Predictor:
    return Predictor(load_checkpoint(checkpoint_path))


def line(text: str, height: int = 40) -> np.ndarray:
    scale = height / 40
    (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    img = np.full((height, w + 20), 240, np.uint8)
    cv2.putText(img, text, (10, (height + h) // 2), cv2.FONT_HERSHEY_SIMPLEX, scale, 20, 2)
    return img


def assert_valid(decoded: Decoded, predictor: Predictor) -> None:
    assert isinstance(decoded, Decoded)
    assert predictor.charset.covers(decoded.text) or decoded.text == ""
    assert 0.0 <= decoded.confidence <= 1.0
    assert len(decoded.char_confidences) == len(decoded.char_spans) == len(decoded.text)


BAD_IMAGES = {
    "empty": np.zeros((0, 0), np.uint8),
    "no-columns": np.zeros((40, 0), np.uint8),
    "one-pixel": np.zeros((1, 1), np.uint8),
    "one-row": np.full((1, 500), 128, np.uint8),
    "one-column": np.full((500, 1), 128, np.uint8),
    "1d-array": np.arange(100, dtype=np.uint8),
    "4d-array": np.zeros((2, 40, 100, 3), np.uint8),
    "two-channels": np.zeros((40, 100, 2), np.uint8),
    "strings": np.full((40, 100), "x"),
    "objects": np.full((40, 100), None, dtype=object),
    "bytes": np.full((40, 100), b"\xff"),
    "dates": np.full((40, 100), np.datetime64("2024-01-01")),
    "complex": np.ones((40, 100), complex),
    "none": None,
    "list": [[0, 255], [255, 0]],
    "path-string": "line.png",
    "dict": {"image": 1},
    "scalar": np.array(3),
}


@pytest.mark.parametrize("image", BAD_IMAGES.values(), ids=BAD_IMAGES.keys())
def test_an_unreadable_image_reads_as_nothing_instead_of_raising(predictor, image):
    assert predictor.recognize([image]) == [NOTHING]
    assert predictor.recognize_one(image) == NOTHING


ODD_BUT_READABLE = {
    "2x2": np.array([[0, 255], [255, 0]], np.uint8),
    "blank-white": np.full((40, 300), 255, np.uint8),
    "30000-px-wide": np.tile(line("6222 0210 0012 3456 "), (1, 100))[:, :30000],
    "very-tall": np.full((3000, 20), 200, np.uint8),
    "float-infinities": np.where(line("123") < 128, -np.inf, np.inf),
    "bgra": cv2.cvtColor(line("2024-05-01"), cv2.COLOR_GRAY2BGRA),
    "bool": line("42") < 128,
}


@pytest.mark.parametrize("image", ODD_BUT_READABLE.values(), ids=ODD_BUT_READABLE.keys())
def test_an_odd_but_readable_image_gives_a_valid_result(predictor, image):
    (decoded,) = predictor.recognize([image])
    assert_valid(decoded, predictor)


def test_a_30000_px_line_is_read_at_the_width_cap(predictor):
    wide = ODD_BUT_READABLE["30000-px-wide"]
    assert wide.shape[1] == 30000
    decoded = predictor.recognize_one(wide)
    assert_valid(decoded, predictor)
    # A frame per 4 px of the 2048-px cap: spans are fractions of the whole line.
    assert all(0.0 <= a < b <= 1.0 for a, b in decoded.char_spans)


def test_no_images_give_no_results(predictor):
    assert predictor.recognize([]) == []


def test_a_mixed_batch_returns_the_good_results_at_their_positions(predictor):
    # Different widths fall into different buckets, which run in bucket order, not input order.
    goods = {0: line("6222 0210 0012 3456 7890 1234"), 2: line("12"), 5: line("2024-05-01")}
    bads = {1: None, 3: np.zeros((0, 10), np.uint8), 4: np.full((8, 8), "x"), 6: np.zeros(5)}
    batch = [goods.get(i, bads.get(i)) for i in range(7)]
    singles = {i: predictor.recognize_one(img) for i, img in goods.items()}
    # The check below can only catch a swap if the good lines read differently.
    assert len({round(d.confidence, 6) for d in singles.values()}) == len(singles)

    results = predictor.recognize(batch)

    assert len(results) == len(batch)
    for i, result in enumerate(results):
        if i in bads:
            assert result == NOTHING
        else:
            assert result.text == singles[i].text
            assert result.confidence == pytest.approx(singles[i].confidence, abs=1e-5)
            assert np.allclose(result.char_spans, singles[i].char_spans)


def test_small_batches_give_the_same_results_in_the_same_order(checkpoint_path):
    images = [line(text) for text in ("110101", "1990", "0312", "7788", "66")]
    ckpt = load_checkpoint(checkpoint_path)
    big = Predictor(ckpt, batch_size=64).recognize(images)
    small = Predictor(ckpt, batch_size=2).recognize(tuple(images))
    assert [d.text for d in small] == [d.text for d in big]
    assert [d.confidence for d in small] == pytest.approx([d.confidence for d in big], abs=1e-5)


def test_the_predictor_reports_the_checkpoint_it_was_built_from(predictor, checkpoint_path):
    ckpt = load_checkpoint(checkpoint_path)
    assert predictor.sha256 == ckpt.sha256 != ""
    assert predictor.kind == "numeric"
    assert predictor.charset == numeric_charset()
    assert not predictor.model.training
