"""finetune_ppocr --register refuses before training what it could not register, and a
registration that fails after training says where the trained model is kept."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.core.management import CommandError

from recognition import registry
from recognition.engine.ppocr.checkpoint import save_checkpoint
from recognition.engine.ppocr.config import SMALL
from tests.engine.test_ppocr_finetune import tiny_checkpoint
from tests.finetune.runs import short_finetune


def test_a_missing_active_checkpoint_is_refused_before_training(db, tmp_path):
    active = registry.active_version("general")
    active.training_checkpoint = str(tmp_path / "gone.pt")
    active.save(update_fields=["training_checkpoint"])
    with pytest.raises(CommandError, match="missing"):
        short_finetune(tmp_path, base="active", register=True)
    assert not (tmp_path / "run").exists()


def test_a_resumed_run_of_another_architecture_is_not_registered(db, tmp_path):
    save_checkpoint(tmp_path / "tiny.pt", tiny_checkpoint())
    short_finetune(tmp_path, base=str(tmp_path / "tiny.pt"))
    with pytest.raises(CommandError, match="fine-tunes tiny"):
        short_finetune(tmp_path, resume=True, register=True)


def test_a_failed_registration_names_the_files_it_keeps(db, settings, tmp_path):
    toy = tiny_checkpoint()
    save_checkpoint(tmp_path / "base.pt", replace(toy, config=replace(toy.config, name=SMALL)))
    heldout = tmp_path / "eval" / "general-heldout"
    heldout.mkdir(parents=True)
    (heldout / "labels.tsv").write_text("a line without its text\n", encoding="utf-8")
    settings.OCR_EVAL_DIR = tmp_path / "eval"
    with pytest.raises(CommandError, match="The trained model is kept") as refused:
        short_finetune(tmp_path, base=str(tmp_path / "base.pt"), register=True)
    kept = tmp_path / "run" / "best.onnx"
    assert str(kept) in str(refused.value) and kept.is_file()
    assert "--resume --register" in str(refused.value)
