"""The gate also compares on held-out real corrected crops when configured; in tests the real
sample lines play that part (they are measured, never trained on)."""

from __future__ import annotations

import shutil

import pytest

from recognition import activation
from recognition.engine.files import file_sha256
from recognition.exceptions import ActivationRefused
from recognition.tasks import run_evaluation


@pytest.fixture
def real_lines(settings, samples):
    folder = samples / "real" / "lines"
    settings.OCR_GATE_REAL_LINES = str(folder)
    return folder


def test_the_gate_scores_both_versions_on_the_real_set_too(fixed_eval, real_lines, twin):
    gate = activation.check_gate(twin)
    assert gate.real_lines >= 200 and gate.real_set == str(real_lines)
    assert gate.real_candidate_exact is not None and gate.real_active_exact is not None
    assert "held-out real corrected crops" in gate.message()
    twin.refresh_from_db()
    sha = file_sha256(real_lines / "labels.tsv")
    assert twin.metrics[activation.real_metric(sha)]["labels_sha256"] == sha
    assert activation.real_figures(twin)["lines"] == gate.real_lines


def test_no_worse_on_synthetic_but_worse_on_real_is_refused(
    fixed_eval, real_lines, twin, shipped, supervisor
):
    activation.check_gate(twin)  # scores both on both sets
    twin.refresh_from_db()
    shipped.refresh_from_db()
    key = activation.real_metric(file_sha256(real_lines / "labels.tsv"))
    worse = {**twin.metrics[key], "exact": shipped.metrics[key]["exact"] - 0.05}
    twin.metrics = {**twin.metrics, key: worse}
    twin.save(update_fields=["metrics"])
    gate = activation.check_gate(twin)
    assert gate.delta is not None and gate.delta >= -gate.tolerance, "synthetic: no worse"
    assert not gate.passed
    with pytest.raises(ActivationRefused, match="refused by the gate"):
        activation.activate(twin, supervisor)


def test_without_a_real_set_only_the_synthetic_set_decides(fixed_eval, settings, twin):
    settings.OCR_GATE_REAL_LINES = ""
    gate = activation.check_gate(twin)
    assert gate.real_lines == 0 and gate.real_delta is None and gate.passed


def test_figures_on_one_real_set_survive_scoring_on_another(fixed_eval, settings, samples, twin):
    first, second = samples / "real" / "lines", samples / "real-zh" / "lines"
    settings.OCR_GATE_REAL_LINES = str(first)
    on_first = activation.check_gate(twin)
    settings.OCR_GATE_REAL_LINES = str(second)
    on_second = activation.check_gate(twin)
    assert on_second.real_set == str(second) and on_second.real_lines != on_first.real_lines
    settings.OCR_GATE_REAL_LINES = str(first)
    again = activation.check_gate(twin, evaluate_missing=False)  # runs no model
    assert (again.real_candidate_exact, again.real_active_exact) == (
        on_first.real_candidate_exact,
        on_first.real_active_exact,
    )


def test_the_admin_evaluation_scores_what_the_gate_needs(fixed_eval, real_lines, twin):
    run_evaluation(twin.pk)
    twin.refresh_from_db()
    gate = activation.check_gate(twin, evaluate_missing=False)
    assert gate.real_lines >= 200 and gate.real_delta is not None


def test_a_real_set_without_numeric_crops_does_not_block_a_numeric_version(
    fixed_eval, settings, samples, tmp_path, twin
):
    source, folder = samples / "real" / "lines", tmp_path / "texts"
    folder.mkdir()
    rows = []
    for row in (source / "labels.tsv").read_text(encoding="utf-8").splitlines()[:3]:
        name, text = row.split("\t")[:2]
        shutil.copy(source / name, folder / name)
        rows.append(f"{name}\t{text}\tcompany")
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    settings.OCR_GATE_REAL_LINES = str(folder)
    gate = activation.check_gate(twin)
    assert (gate.real_lines, gate.real_delta, gate.passed) == (0, None, True)
    assert "holds no numeric line" in gate.message()
    assert activation.check_gate(twin, evaluate_missing=False).passed, "no figures missing"
