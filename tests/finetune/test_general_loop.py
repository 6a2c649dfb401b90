"""A month's corrections reach the general model: clerks decide fields, the export, a short
fine-tune of the active PP-OCR model (``finetune_ppocr --base active --corrections --register``),
registration as an inactive version and the gate, which compares it with the active version on
the fixed held-out set and on the export's val/ split (documents no train/ split holds). Real
code paths, the shipped model, no mocks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from demo.render import render_bill
from documents.models import Document, DocumentType
from recognition import activation, registry
from recognition.activation import GATE_REAL_LINES
from recognition.engine.files import file_sha256
from recognition.engine.ppocr.config import TINY
from recognition.exceptions import NotEvaluated, RegistryError
from recognition.models import ModelVersion
from reviews import export
from reviews.export import ExportParams, export_corrections
from tests.finetune.clerking import recognised, review_document
from tests.finetune.runs import short_finetune

LOAN = "loan_application"
HELDOUT_LINES = 40
pytestmark = pytest.mark.slow


def _decided_export(bills, clerk, capture, data: Path) -> None:
    """Recognise ``bills``, have a clerk decide every field, export with one document in val/."""
    started = timezone.now()
    documents = []
    for bill in bills:
        document = recognised(bill, LOAN, capture)
        assert document.status == Document.Status.NEEDS_REVIEW, document.error
        review_document(document, clerk, bill.truth)
        documents.append(document)
    fractions = sorted(export.split_fraction(d.pk) for d in documents)
    val_percent = 100 * (fractions[0] + fractions[1]) / 2
    export_corrections(ExportParams(since=started, val_percent=val_percent), data)


def test_corrections_fine_tune_the_active_general_model_into_a_gated_candidate(
    demo_types, clerk, supervisor, settings, tmp_path, samples, django_capture_on_commit_callbacks
):
    settings.OCR_EVAL_DIR = tmp_path / "eval"
    settings.OCR_HELDOUT_LINES = HELDOUT_LINES
    settings.OCR_GATE_REAL_LINES = ""
    DocumentType.objects.filter(code=LOAN).update(confidence_threshold=1.0)
    data = tmp_path / "export"
    bills = [render_bill(LOAN, seed) for seed in (31, 32, 33)]
    _decided_export(bills, clerk, django_capture_on_commit_callbacks, data)
    assert (data / "val" / "labels.tsv").read_text().strip(), "one document validates"

    active = registry.active_version("general")
    report = short_finetune(
        tmp_path, base="active", corrections=str(data), stage1_steps=2, val_lines=4, register=True
    )
    assert report["steps"] == 2 and Path(report["onnx"]).is_file()

    version = ModelVersion.objects.get(name=report["registered"]["version"])
    assert (version.kind, version.active, version.parent) == ("general", False, active)
    assert version.training_data[GATE_REAL_LINES] == str((data / "val").resolve())
    assert version.training_data["manifest_counts"]["exported"] > 0
    assert Path(version.training_checkpoint).is_file()
    assert version.sha256 == file_sha256(report["onnx"])

    gate = report["registered"]["gate"]
    assert gate["lines"] == HELDOUT_LINES and gate["active"] == active.name
    val = data / "val" / "labels.tsv"
    assert gate["real_set"] == str((data / "val").resolve()) and gate["real_lines"] == len(
        val.read_text().strip().splitlines()
    )
    active.refresh_from_db()
    version.refresh_from_db()
    key = activation.real_metric(file_sha256(val))
    assert active.metrics[key]["exact"] == gate["real_active_exact"]
    assert version.metrics[key]["exact"] == gate["real_candidate_exact"]
    assert report["registered"]["figures"]["real"]["lines"] == gate["real_lines"]

    # Its own split decides, whatever set is configured for versions without one; the active
    # version keeps its figures on each set.
    settings.OCR_GATE_REAL_LINES = str(samples / "real" / "lines")
    assert activation.real_gate_dir(version) == (data / "val").resolve()
    gate_now = activation.check_gate(version, evaluate_missing=False)
    assert gate_now.real_set == gate["real_set"] and gate_now.passed == gate["passed"]

    # Registration again from the finished run (as after a failed registration): the same version.
    again = short_finetune(tmp_path, resume=True, register=True, stage1_steps=2)
    assert again["registered"]["version"] == version.name


def test_the_gate_refuses_a_train_split_as_its_real_set(settings, tmp_path, db):
    train = tmp_path / "export" / "train"
    train.mkdir(parents=True)
    (train / "labels.tsv").write_text("f1.png\t壹佰元\tamount_words\n")
    (tmp_path / "export" / "manifest.json").write_text("{}")
    settings.OCR_GATE_REAL_LINES = str(train)
    with pytest.raises(RegistryError, match="val/ split"):
        activation.real_gate_dir()


def test_only_general_versions_are_registered_by_finetune_ppocr(tmp_path):
    with pytest.raises(CommandError, match="OCR_FAST_READER"):
        call_command(
            "finetune_ppocr",
            base_model=TINY,
            out_dir=str(tmp_path / "run"),
            register=True,
            stdout=io.StringIO(),
        )


def test_a_version_whose_own_real_split_is_gone_is_not_gated_on_synthetic_lines_alone(
    settings, tmp_path, db
):
    settings.OCR_GATE_REAL_LINES = ""
    version = ModelVersion(
        kind="general", name="candidate", training_data={GATE_REAL_LINES: str(tmp_path / "gone")}
    )
    with pytest.raises(NotEvaluated, match="gone"):
        activation.real_gate_dir(version)
