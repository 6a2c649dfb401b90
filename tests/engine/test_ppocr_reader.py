"""Our exported PP-OCR ONNX file served by OnnxLineReader: the torch module's readings, the
Predictor's contract (order kept, bad crops read as nothing), no torch in the serving process."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx
import pytest
import torch

from processing.labels import spotting_scores
from recognition.engine.ctc import EMPTY, Decoded, prefix_log_prob
from recognition.engine.evaluate import read_labels
from recognition.engine.ppocr.checkpoint import PPRecCheckpoint
from recognition.engine.ppocr.convert import convert
from recognition.engine.ppocr.decode import decode_lines
from recognition.engine.ppocr.export import export_onnx
from recognition.engine.ppocr.info import FORMAT_KEY, ModelInfo
from recognition.engine.ppocr.network import PPRecNet
from recognition.engine.ppocr.preprocess import (
    bucket_width,
    content_frames,
    pad_batch,
    prepare_line,
)
from recognition.engine.ppocr.reader import OnnxLineReader
from recognition.engine.ppocr.source import find_model
from recognition.engine.preprocess import opencv_u8

ROOT = Path(__file__).resolve().parents[2]
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def converted() -> PPRecCheckpoint:
    return convert()


@pytest.fixture(scope="module")
def model(converted: PPRecCheckpoint) -> PPRecNet:
    return converted.build_model()


@pytest.fixture(scope="module")
def exported(
    converted: PPRecCheckpoint, model: PPRecNet, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("onnx") / "pp.onnx"
    export_onnx(model, converted.info.with_changes(temperature=1.2), path)
    return path


@pytest.fixture(scope="module")
def reader(exported: Path) -> OnnxLineReader:
    return OnnxLineReader(exported, threads=1)


def torch_read(model: PPRecNet, image: np.ndarray, info: ModelInfo) -> Decoded:
    line = prepare_line(image)
    width = bucket_width(line.shape[2])
    with torch.inference_mode():
        logits = model(torch.from_numpy(pad_batch([line], width))).numpy()
    lengths = [content_frames(line.shape[2], width)]
    return decode_lines(logits, lengths, info.charset, temperature=info.temperature)[0]


def colour(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return opencv_u8(image)


def crops(samples: Path, folder: str, n: int) -> list[np.ndarray]:
    lines = read_labels(samples / folder / "lines")
    picked = [lines[i] for i in np.linspace(0, len(lines) - 1, n).astype(int)]
    return [colour(line.path) for line in picked]


def test_the_exported_file_describes_itself(exported: Path, converted: PPRecCheckpoint) -> None:
    proto = onnx.load(str(exported))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta[FORMAT_KEY] == "ppocr-rec/1"
    info = ModelInfo.from_metadata(meta)
    assert info.charset == converted.info.charset
    assert info.provenance == converted.info.provenance
    assert info.temperature == 1.2
    assert max(op.version for op in proto.opset_import if op.domain in ("", "ai.onnx")) >= 17
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 3, 48, "width"]


def test_the_reader_reads_what_the_torch_module_reads(
    reader: OnnxLineReader, model: PPRecNet, samples: Path
) -> None:
    images = crops(samples, "real-zh", 8) + crops(samples, "real", 4)
    images.append(cv2.cvtColor(images[0], cv2.COLOR_BGR2GRAY))
    ours = reader.recognize(images)
    for image, got in zip(images, ours, strict=True):
        want = torch_read(model, image, reader.info)
        assert got.text == want.text
        assert got.confidence == pytest.approx(want.confidence, abs=1e-4)
        assert len(got.char_confidences) == len(got.char_spans) == len(got.text)
    assert reader.recognize_one(images[3]) == ours[3]
    assert sum(bool(d.text) for d in ours) == len(images)


def test_the_reader_folds_fullwidth_output(reader: OnnxLineReader, samples: Path) -> None:
    lines = [x for x in read_labels(samples / "real-zh" / "lines") if "：" in x.text][:3]
    decoded = reader.recognize([colour(x.path) for x in lines])
    assert all("：" not in d.text and ":" in d.text for d in decoded)


def test_paddle_s_own_file_reads_the_same_texts(reader: OnnxLineReader, samples: Path) -> None:
    original = OnnxLineReader(find_model().path)
    assert original.info.output == "probabilities" and original.charset == reader.charset
    images = crops(samples, "real-zh", 4)
    assert [d.text for d in original.recognize(images)] == [
        d.text for d in reader.recognize(images)
    ]


def test_a_page_keeps_only_the_score_columns_its_labels_need(
    reader: OnnxLineReader, samples: Path
) -> None:
    lines = [
        x for x in read_labels(samples / "real-zh" / "lines") if x.text.startswith("纳税人识别号")
    ][:3]
    images = [colour(x.path) for x in lines]
    classes, encode = spotting_scores(["纳税人识别号", "价税合计（大写）"], reader.charset)
    assert len(classes) == 1 + len(set("纳税人识别号价税合计()大写"))
    full = reader.recognize(images, keep_scores=True)
    few = reader.recognize(images, keep_scores=classes)
    for a, b in zip(full, few, strict=True):
        assert a.log_probs is not None and b.log_probs is not None
        assert b.log_probs.shape == (len(a.log_probs), len(classes))
        np.testing.assert_allclose(b.log_probs, a.log_probs[:, classes], atol=1e-5)
        assert (a.text, a.confidence) == (b.text, b.confidence)
        spotted = prefix_log_prob(b.log_probs, encode("纳税人识别号"))
        assert spotted == pytest.approx(
            prefix_log_prob(a.log_probs, reader.charset.encode("纳税人识别号")), abs=1e-4
        )
        assert spotted[0] > np.log(0.5)
    with pytest.raises(KeyError):
        encode("购买方")  # no label has these characters: spotting skips such a label


BAD_IMAGES = {
    "empty": np.zeros((0, 0), np.uint8),
    "no-columns": np.zeros((40, 0), np.uint8),
    "one-pixel": np.zeros((1, 1), np.uint8),
    "one-row": np.full((1, 500), 128, np.uint8),
    "five-channels": np.zeros((40, 100, 5), np.uint8),
    "strings": np.array([["a", "b"], ["c", "d"]]),
    "not-an-array": "line.png",
}


@pytest.mark.parametrize("name", BAD_IMAGES)
def test_a_bad_crop_reads_as_nothing_and_keeps_the_order(
    reader: OnnxLineReader, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    good = np.full((40, 200), 235, np.uint8)
    cv2.putText(good, "12345", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    with caplog.at_level(logging.INFO, logger="recognition.engine.ppocr.reader"):
        results = reader.recognize([good, BAD_IMAGES[name], good])  # type: ignore[list-item]
    assert results[1] == EMPTY
    assert results[0] == results[2] and results[0].text
    assert "line 1 not readable" in caplog.text


def test_float_and_bgra_crops_are_read(reader: OnnxLineReader) -> None:
    gray = np.full((40, 200), 235, np.uint8)
    cv2.putText(gray, "2025", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    bgra = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGRA)
    texts = [d.text for d in reader.recognize([gray, gray / 255.0, bgra, gray[:, :, None]])]
    assert len(set(texts)) == 1 and texts[0]


def test_serving_never_imports_torch(exported: Path) -> None:
    code = (
        "import json, sys\n"
        "from recognition.engine.ppocr.reader import OnnxLineReader\n"
        "import numpy as np\n"
        f"r = OnnxLineReader({str(exported)!r})\n"
        "d = r.recognize_one(np.full((40, 120), 200, np.uint8))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
