"""Fine-tuning on exported crops: data reading, kinds, replay mix, the checkpoint it writes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from recognition import registry
from recognition.engine.charset import numeric_charset
from recognition.engine.checkpoint import load_checkpoint
from recognition.engine.evaluate import LabelledLine
from recognition.engine.finetune import (
    FinetuneConfig,
    finetune,
    kinds_in,
    load_crops,
    model_kind_for,
    read_split,
)
from recognition.engine.synth import write_line_set
from recognition.models import ModelVersion
from tests.finetune.conftest import SHIPPED_NUMERIC


def _export_like(root: Path, *, train: int = 12, val: int = 4) -> Path:
    """A folder shaped like a corrections export: split folders with labels.tsv by field kind."""
    for split, n, seed in (("train", train, 1), ("val", val, 2)):
        write_line_set(
            root / split, numeric_charset(), numeric=True, n=n, seed=seed, held_out=False
        )
        rows = (root / split / "labels.tsv").read_text(encoding="utf-8").splitlines()
        (root / split / "labels.tsv").write_text(
            "".join("\t".join(r.split("\t")[:3]) + "\n" for r in rows), encoding="utf-8"
        )
    return root


@pytest.mark.parametrize(
    "category, kind",
    [
        ("id_number", "numeric"),
        ("amount", "numeric"),
        ("date", "numeric"),
        ("account", "numeric"),
        ("phone", "numeric"),
        ("number", "numeric"),
        ("name", "general"),
        ("amount_in_words", "general"),
        ("credit_code", "general"),
        ("text", "general"),
    ],
)
def test_each_field_kind_is_learned_by_the_model_that_reads_it(category, kind):
    assert model_kind_for(category) == kind


@pytest.mark.parametrize(
    "batch, replay, real",
    [(32, 0.5, 16), (32, 0.0, 32), (32, 0.75, 8), (8, 0.9, 1), (2, 0.5, 1)],
)
def test_replay_sets_the_share_of_synthetic_lines_in_every_batch(batch, replay, real):
    assert FinetuneConfig("numeric", batch_size=batch, replay=replay).real_per_batch == real


@pytest.mark.parametrize("bad", [{"replay": 1.0}, {"replay": -0.1}, {"epochs": 0}, {"kind": "x"}])
def test_a_config_that_cannot_train_is_refused(bad):
    with pytest.raises(ValueError):
        FinetuneConfig(**{"kind": "numeric", **bad})


def test_kinds_in_an_export_are_counted_per_model(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "labels.tsv").write_text(
        "a.png\t430104199010259748\tid_number\nb.png\t张伟\tname\nc.png\t1.00\tamount\n",
        encoding="utf-8",
    )
    assert kinds_in(tmp_path) == {"numeric": 2, "general": 1}


def test_a_paddle_only_folder_is_read_too_without_kinds(tmp_path):
    (tmp_path / "train.txt").write_text("train/x.png\t12.50\n", encoding="utf-8")
    assert read_split(tmp_path, "train") == [LabelledLine(tmp_path / "train/x.png", "12.50")]
    assert read_split(tmp_path, "val") == []
    assert kinds_in(tmp_path) == {}


def test_crops_a_model_cannot_learn_are_skipped_and_counted(tmp_path):
    folder = _export_like(tmp_path, train=3, val=0) / "train"
    lines = read_split(tmp_path, "train")
    lines += [
        LabelledLine(folder / "00000.png", "壹佰元", "amount"),  # outside the numeric charset
        LabelledLine(folder / "missing.png", "1.00", "amount"),
        LabelledLine(folder / "00000.png", "张伟", "name"),  # the general model's field
    ]
    crops = load_crops(lines, "numeric", numeric_charset())
    assert len(crops.lines) == 3
    assert crops.skipped == {"characters_outside_charset": 1, "unreadable_image": 1}


@pytest.mark.slow
def test_fine_tune_writes_a_self_describing_checkpoint_from_its_base(tmp_path):
    data = _export_like(tmp_path / "export")
    config = FinetuneConfig(
        "numeric", epochs=2, batch_size=8, max_steps=3, eval_lines=16, threads=1
    )

    result = finetune(SHIPPED_NUMERIC, data, tmp_path / "ft.pt", config, progress=False)

    ckpt = load_checkpoint(result.path)
    base = load_checkpoint(SHIPPED_NUMERIC)
    assert ckpt.sha256 == result.sha256 != base.sha256
    assert (ckpt.kind, ckpt.charset, ckpt.arch) == ("numeric", base.charset, base.arch)
    info = ckpt.train_config["finetune"]
    assert (info["base_sha256"], info["steps"], info["replay"]) == (base.sha256, 3, config.replay)
    assert ckpt.train_config["data"]["train_lines"] == 12
    assert ckpt.train_config["data"]["val_lines"] == 4
    assert set(ckpt.metrics["before"]) == {"validation", "synthetic"}
    assert ckpt.metrics["after"]["synthetic"]["lines"] == 16
    assert ckpt.training_state == {}
    stats = [k for k in base.state_dict if k.endswith(("running_mean", "running_var"))]
    assert stats and all(ckpt.state_dict[k].equal(base.state_dict[k]) for k in stats), (
        "BatchNorm keeps the base model's statistics"
    )
    assert not all(ckpt.state_dict[k].equal(base.state_dict[k]) for k in base.state_dict)


@pytest.mark.slow
def test_finetune_command_starts_from_the_active_model_and_registers_the_result(
    db, tmp_path, fixed_eval
):
    data = _export_like(tmp_path / "export")
    active = registry.active_version("numeric")
    out = io.StringIO()

    call_command(
        "finetune_ocr",
        "--data",
        str(data),
        "--epochs",
        "1",
        "--kind",
        "auto",
        "--max-steps",
        "2",
        "--batch-size",
        "8",
        "--eval-lines",
        "8",
        "--threads",
        "1",
        "--out",
        str(tmp_path / "models"),
        "--register",
        stdout=out,
    )

    version = ModelVersion.objects.exclude(pk=active.pk).get()
    assert (version.kind, version.parent, version.active) == ("numeric", active, False)
    assert version.training_data["train_lines"] == 12
    assert version.metric("heldout", "lines") == 80
    assert version.metric("validation", "lines") == 4
    assert version.metrics["training"]["after"]["synthetic"]["lines"] == 8
    assert len(list((tmp_path / "models").glob("numeric-ft-*.pt"))) == 1
    assert "registered" in out.getvalue() and "gate" in out.getvalue()
