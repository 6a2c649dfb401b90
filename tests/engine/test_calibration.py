"""Temperature scaling: fitted on lines whose true over-confidence is known, it finds it; it never
changes a decoded character; the shipped checkpoint carries it and the predictor applies it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from recognition.engine.calibration import (
    brier,
    confidences,
    expected_calibration_error,
    fit_temperature,
    reliability,
    threshold_figures,
)
from recognition.engine.charset import numeric_charset
from recognition.engine.checkpoint import load_checkpoint, save_checkpoint
from recognition.engine.ctc import decode_batch
from recognition.engine.evaluate import load_image, read_labels
from recognition.engine.predictor import Predictor
from recognition.engine.synth import write_line_set

WEIGHTS = Path(__file__).resolve().parents[2] / "recognition" / "weights"


def overconfident_lines(n: int, scale: float, seed: int = 0):
    """One-frame lines whose true chance of being right is p, with logits sharpened by ``scale``."""
    charset = numeric_charset()
    rng = np.random.default_rng(seed)
    log_probs, correct = [], []
    for _ in range(n):
        p = rng.uniform(0.55, 0.99)
        probs = np.full(charset.num_classes, 1e-4)
        probs[1], probs[2] = p, 1 - p
        probs /= probs.sum()
        log_probs.append((scale * np.log(probs))[None, :])
        correct.append(bool(rng.random() < p))
    return charset, log_probs, correct


def test_fit_recovers_the_over_confidence_it_was_given():
    charset, log_probs, correct = overconfident_lines(3000, scale=2.5)
    fit = fit_temperature(log_probs, correct, charset)
    assert 2.0 <= fit.temperature <= 3.0
    assert fit.brier_after < fit.brier_before
    assert fit.lines == 3000


def test_calibrated_lines_keep_a_temperature_near_one():
    charset, log_probs, correct = overconfident_lines(3000, scale=1.0, seed=1)
    assert 0.75 <= fit_temperature(log_probs, correct, charset).temperature <= 1.3


def test_fit_refuses_mismatched_inputs():
    charset, log_probs, correct = overconfident_lines(5, scale=1.0)
    with pytest.raises(ValueError):
        fit_temperature(log_probs, correct[:-1], charset)
    with pytest.raises(ValueError):
        fit_temperature([], [], charset)


def test_temperature_changes_confidence_never_the_text():
    charset = numeric_charset()
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 4, (40, 5, charset.num_classes)).astype(np.float32)
    plain = decode_batch(logits, [40] * 5, charset)
    soft = decode_batch(logits, [40] * 5, charset, temperature=2.0)
    assert [d.text for d in plain] == [d.text for d in soft]
    assert all(s.confidence <= p.confidence + 1e-6 for s, p in zip(soft, plain))
    assert any(s.confidence < p.confidence for s, p in zip(soft, plain))
    with pytest.raises(ValueError):
        decode_batch(logits, [40] * 5, charset, temperature=0)


def test_higher_temperature_lowers_every_confidence():
    charset, log_probs, _ = overconfident_lines(50, scale=3.0)
    cold, warm = confidences(log_probs, charset, 1.0), confidences(log_probs, charset, 3.0)
    assert np.all(warm <= cold + 1e-9) and warm.mean() < cold.mean()


def test_reliability_bins_count_every_line_once():
    conf = [0.05, 0.15, 0.95, 1.0, 0.5, 0.55]
    ok = [False, False, True, True, True, False]
    bins = reliability(conf, ok, bins=10)
    assert sum(b.lines for b in bins) == len(conf)
    assert bins[-1].lines == 2 and bins[-1].accuracy == 1.0
    assert bins[5].lines == 2 and bins[5].accuracy == 0.5
    assert brier([1.0, 0.0], [True, False]) == 0.0
    assert expected_calibration_error([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)
    assert expected_calibration_error([1.0] * 4, [False] * 4) == pytest.approx(1.0)


def test_threshold_figures():
    figures = threshold_figures([0.95, 0.97, 0.5, 0.2], [True, False, True, False], 0.9)
    assert figures["wrong_share_above"] == 0.5
    assert figures["share_below"] == 0.5


def test_checkpoint_carries_its_temperature_and_the_predictor_applies_it(tmp_path):
    ckpt = load_checkpoint(WEIGHTS / "numeric.pt")
    ckpt.calibration = {"temperature": 2.5, "lines": 10}
    save_checkpoint(tmp_path / "warm.pt", ckpt, include_training_state=False)
    warm = load_checkpoint(tmp_path / "warm.pt")
    assert warm.temperature == 2.5 and warm.calibration["lines"] == 10

    folder = write_line_set(tmp_path / "lines", numeric_charset(), numeric=True, n=12, seed=5)
    images = [load_image(line.path) for line in read_labels(folder)]
    ckpt.calibration = {}
    plain = Predictor(ckpt, threads=1).recognize(images)
    soft = Predictor(warm, threads=1).recognize(images)
    assert [d.text for d in plain] == [d.text for d in soft]
    assert sum(d.confidence for d in soft) < sum(d.confidence for d in plain)


def ship_numeric(calibration_set: Path, target: Path) -> None:
    call_command(
        "ship_model",
        *("--kind", "numeric", "--from", str(WEIGHTS / "numeric.pt")),
        *("--calibrate-on", str(calibration_set), "--to", str(target)),
    )


@pytest.mark.django_db
def test_ship_model_fits_the_temperature_on_a_validation_set(tmp_path):
    folder = write_line_set(
        tmp_path / "val", numeric_charset(), numeric=True, n=40, seed=9, held_out=False
    )
    target = tmp_path / "shipped.pt"
    ship_numeric(folder, target)
    shipped = load_checkpoint(target)
    assert shipped.calibration["lines"] == 40
    assert shipped.calibration["fitted_on"] == "val"
    assert shipped.calibration["brier_after"] <= shipped.calibration["brier_before"]
    assert 0.5 <= shipped.temperature <= 4.0
    assert not shipped.training_state


@pytest.mark.django_db
def test_ship_model_refuses_to_calibrate_on_the_held_out_set(tmp_path):
    from django.core.management.base import CommandError

    folder = write_line_set(
        tmp_path / "numeric-heldout", numeric_charset(), numeric=True, n=3, seed=1
    )
    with pytest.raises(CommandError, match="held-out"):
        ship_numeric(folder, tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()
