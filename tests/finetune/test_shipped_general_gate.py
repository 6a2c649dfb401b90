"""The shipped general model is PP-OCRv6 small fine-tuned by this repository: a modified copy
(provenance and licence kept, calibrated), and it passes the activation gate against the base it
was fine-tuned from, on held-out synthetic bill fields and on real e-invoice crops (the real
samples play the held-out real corrections; they were never trained or tuned on)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from recognition import activation, registry
from recognition.engine.ppocr.checkpoint import load_checkpoint
from recognition.engine.readers import onnx_metadata
from recognition.exceptions import ActivationRefused
from recognition.shipped import BASE_GENERAL, SHIPPED, SHIPPED_TRAINING

WEIGHTS = Path(django_settings.OCR_WEIGHTS_DIR)
HELDOUT_LINES = 150


def test_the_shipped_general_model_says_where_it_comes_from_and_how_it_was_changed():
    ckpt = load_checkpoint(WEIGHTS / SHIPPED_TRAINING["general"])
    provenance = ckpt.info.provenance
    assert provenance.package == "rapidocr" and provenance.licence == "Apache-2.0"
    assert "PaddleOCR" in provenance.attribution and provenance.modified is True
    calibration = ckpt.metrics["calibration"]
    assert calibration["fitted_on"].endswith("general-val"), "never the held-out set"
    assert ckpt.info.temperature == calibration["temperature"] != 1.0
    served = json.loads(onnx_metadata(WEIGHTS / SHIPPED["general"])["ocr_review.info"])
    assert served["temperature"] == ckpt.info.temperature
    assert served["provenance"]["modified"] is True


@pytest.mark.slow
def test_the_fine_tuned_model_passes_the_gate_against_its_base(
    settings, tmp_path, samples, db, supervisor
):
    call_command(
        "make_line_set",
        "--kind",
        "general",
        "--out",
        str(tmp_path / "general-heldout"),
        "-n",
        str(HELDOUT_LINES),
        stdout=io.StringIO(),
    )
    settings.OCR_EVAL_DIR = tmp_path
    settings.OCR_HELDOUT_LINES = HELDOUT_LINES
    settings.OCR_GATE_REAL_LINES = str(samples / "real-zh" / "lines")
    shipped = registry.active_version("general")  # the fine-tuned model, on a fresh install
    assert shipped.checkpoint == SHIPPED["general"]
    base = registry.register(
        WEIGHTS / "ppocr-v6-small.onnx",
        "general",
        None,
        {"note": "PP-OCRv6 small as converted"},
        supervisor,
        training_checkpoint=WEIGHTS / BASE_GENERAL,
    )
    with pytest.raises(ActivationRefused):
        activation.activate(base, supervisor)  # the base reads worse than the fine-tuned model
    activation.activate(base, supervisor, override_reason="back to the base, for this comparison")
    gate = activation.check_gate(shipped)
    assert gate.passed, gate.message()
    assert gate.delta is not None and gate.delta >= 0
    assert gate.real_delta is not None and gate.real_delta > 0
    activation.activate(shipped, supervisor)
    assert registry.active_version("general") == shipped
