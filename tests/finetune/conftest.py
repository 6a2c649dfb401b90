"""Fixtures of the learning loop: a small fixed evaluation set and checkpoints to compare."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch
from django.conf import settings as django_settings
from django.core.management import call_command

from recognition import registry
from recognition.engine.checkpoint import load_checkpoint, save_checkpoint

SHIPPED_NUMERIC = Path(django_settings.OCR_WEIGHTS_DIR) / "numeric.pt"
# The real fixed set has 1000 lines; 80 keep a gate check to seconds on a busy CI core.
EVAL_LINES = 80


@pytest.fixture(scope="session")
def eval_root(tmp_path_factory) -> Path:
    """OCR_EVAL_DIR of the tests: numeric-heldout written by make_line_set, as in production."""
    root = tmp_path_factory.mktemp("eval")
    call_command(
        "make_line_set",
        "--kind",
        "numeric",
        "--out",
        str(root / "numeric-heldout"),
        "-n",
        str(EVAL_LINES),
        stdout=io.StringIO(),
    )
    return root


@pytest.fixture
def fixed_eval(settings, eval_root) -> Path:
    settings.OCR_EVAL_DIR = eval_root
    settings.OCR_HELDOUT_LINES = EVAL_LINES
    return eval_root / "numeric-heldout"


@pytest.fixture
def damaged_numeric(tmp_path) -> Path:
    """A real checkpoint of the shipped architecture that has forgotten how to read."""
    ckpt = load_checkpoint(SHIPPED_NUMERIC)
    generator = torch.Generator().manual_seed(5)
    state = {
        k: (v + 0.5 * torch.randn(v.shape, generator=generator)) if v.is_floating_point() else v
        for k, v in ckpt.state_dict.items()
    }
    ckpt.state_dict = state
    ckpt.train_config = {"note": "weights scrambled for the gate tests"}
    path = tmp_path / "damaged-numeric.pt"
    save_checkpoint(path, ckpt, include_training_state=False)
    return path


@pytest.fixture
def twin_numeric(tmp_path) -> Path:
    """The shipped weights under another sha256 (other metadata): reads exactly as well."""
    ckpt = load_checkpoint(SHIPPED_NUMERIC)
    ckpt.train_config = {**ckpt.train_config, "note": "same weights, new file"}
    path = tmp_path / "twin-numeric.pt"
    save_checkpoint(path, ckpt, include_training_state=False)
    return path


@pytest.fixture
def shipped(db):
    return registry.active_version("numeric")


@pytest.fixture
def twin(twin_numeric, shipped, supervisor):
    return registry.register(twin_numeric, "numeric", shipped, {"note": "same weights"}, supervisor)
