"""Fine-tuning the PP-OCR recogniser: targets in the model's own dictionary, a data stream fixed by
seed and step, the two losses, the two stages, exact resume, calibration carried into ONNX.

A tiny PPRecNet with a 30-character dictionary stands in for the 5 M-parameter model, so every
test here runs in seconds; the real run is started by ``manage.py finetune_ppocr``.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from django.core.management import CommandError, call_command

from recognition.engine import fonts
from recognition.engine.charset import Charset
from recognition.engine.ppocr.checkpoint import PPRecCheckpoint, load_checkpoint, save_checkpoint
from recognition.engine.ppocr.config import BlockSpec, PPRecConfig
from recognition.engine.ppocr.finetune import FineTuner, resume
from recognition.engine.ppocr.finetune_config import PPFinetuneConfig, ResumeError
from recognition.engine.ppocr.finetune_data import (
    CORRECTION,
    REPLAY,
    SYNTHETIC,
    LineStream,
    paddle_target,
    validation_lines,
    write_validation_set,
)
from recognition.engine.ppocr.finetune_eval import calibrate
from recognition.engine.ppocr.finetune_losses import ctc_per_line, distillation_kl
from recognition.engine.ppocr.info import ModelInfo
from recognition.engine.ppocr.network import PPRecNet
from recognition.engine.ppocr.reader import OnnxLineReader

torch.set_num_threads(1)

CHARS = "0123456789.,-/:¥￥元年月日X：（）() "
NUMERIC = {"amount": 1.0, "date": 1.0, "phone": 1.0, "document_number": 0.5}
REPLAY_TEXT = {"chars_any": 1.0, "text_en": 1.0}


def tiny_checkpoint(seed: int = 0) -> PPRecCheckpoint:
    torch.manual_seed(seed)
    info = ModelInfo(architecture="tiny", charset=Charset(CHARS))
    config = PPRecConfig(
        name="tiny",
        num_classes=info.charset.num_classes,
        stem_channels=(8, 16),
        stages=(
            (BlockSpec(3, 16, 16, (1, 1), True),),
            (BlockSpec(3, 16, 24, (2, 1), False),),
            (BlockSpec(3, 24, 32, (2, 1), False),),
        ),
        neck_dims=16,
        neck_depth=1,
        neck_heads=2,
    )
    return PPRecCheckpoint(config, info, PPRecNet(config).eval().state_dict())


def tiny_config(tmp_path: Path, **changes: object) -> PPFinetuneConfig:
    values: dict[str, object] = {
        "stage1_steps": 2,
        "stage2_steps": 2,
        "batch_size": 6,
        "warmup_steps": 1,
        "lr_stage1": 1e-3,
        "lr_stage2": 1e-3,
        "eval_every": 2,
        "log_every": 1,
        "val_dir": str(tmp_path / "val"),
        "val_lines": 4,
        "label_weights": NUMERIC,
        "replay_weights": REPLAY_TEXT,
    }
    values.update(changes)
    return PPFinetuneConfig(**values)  # type: ignore[arg-type]


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def base() -> PPRecCheckpoint:
    return tiny_checkpoint()


@pytest.mark.parametrize(
    ("text", "dictionary", "target"),
    [
        ("名称：武汉", "名称：武汉:", "名称：武汉"),  # the fullwidth class is kept as written
        ("名称：武汉", "名称武汉:", "名称:武汉"),  # only the ASCII twin exists: folded
        ("¥1,234.00", "¥1234.0,", "¥1,234.00"),
        ("价税合计（大写）", "价税合计大写()", "价税合计(大写)"),
        ("  A \u3000 B ", "AB ", "A B"),  # whitespace runs become one space
        ("名称：汉", "名称：", None),  # a character the dictionary lacks: skipped
    ],
)
def test_targets_keep_the_characters_the_dictionary_has(
    text: str, dictionary: str, target: str | None
) -> None:
    assert paddle_target(text, frozenset(dictionary)) == target


def test_the_stream_depends_on_seed_and_step_alone(base: PPRecCheckpoint) -> None:
    one = LineStream(base.charset, seed=3, label_weights=NUMERIC, replay_weights=REPLAY_TEXT)
    two = LineStream(base.charset, seed=3, label_weights=NUMERIC, replay_weights=REPLAY_TEXT)
    one.batch(1, 4, 2)  # drawing another step first changes nothing
    a, b = one.batch(5, 4, 2), two.batch(5, 4, 2)
    assert [x.text for x in a] == [x.text for x in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b))
    assert [x.text for x in one.batch(6, 4, 2)] != [x.text for x in a]
    assert [x.source for x in a] == [SYNTHETIC] * 4 + [REPLAY] * 2
    assert all(set(x.text) <= set(CHARS) and x.text for x in a[:4])
    assert all(x.text == "" for x in a[4:])  # replay lines: the teacher is the target


def test_training_lines_never_use_held_out_fonts(base: PPRecCheckpoint) -> None:
    stream = LineStream(base.charset, seed=1, label_weights=NUMERIC, replay_weights=REPLAY_TEXT)
    held_out = {f.name for f in fonts.FONTS if f.held_out}
    lines = [line for step in range(10) for line in stream.batch(step, 4, 2)]
    assert not {line.font for line in lines} & held_out


def test_extra_fonts_join_training_lines_only_where_they_draw_the_text(
    base: PPRecCheckpoint,
) -> None:
    extra = {f.name for f in fonts.available(held_out=False, extra=True) if f.extra}
    if not extra:
        pytest.skip("the extra fonts come from scripts/bootstrap.sh")
    plain = LineStream(base.charset, seed=2, label_weights=NUMERIC, replay_weights=REPLAY_TEXT)
    wide = LineStream(
        base.charset, seed=2, label_weights=NUMERIC, replay_weights=REPLAY_TEXT, extra_fonts=True
    )
    plain_lines = [line for step in range(12) for line in plain.batch(step, 4, 2)]
    wide_lines = [line for step in range(12) for line in wide.batch(step, 4, 2)]
    assert not {line.font for line in plain_lines} & extra
    assert {line.font for line in wide_lines} & extra
    for line in wide_lines[:24]:
        if line.font in extra and line.text:
            assert fonts.covers(fonts.by_name(line.font), line.text), (line.font, line.text)


def test_the_validation_split_is_drawn_in_the_original_fonts(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    lines = validation_lines(tmp_path / "val", base.charset, n=24, seed=7)
    used = {
        row.split("\t")[3] for row in (tmp_path / "val" / "labels.tsv").read_text().splitlines()
    }
    assert len(lines) == 24
    assert not {f.name for f in fonts.FONTS if f.extra} & used


def test_the_validation_split_refuses_a_held_out_name(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    stream = LineStream(base.charset, seed=7, label_weights=NUMERIC, replay_weights=REPLAY_TEXT)
    with pytest.raises(ValueError, match="held-out"):
        write_validation_set(tmp_path / "general-heldout", stream, 2)


def test_distillation_is_zero_against_the_teacher_itself_and_ignores_padding() -> None:
    teacher = torch.randn(7, 3, 11)
    assert distillation_kl(teacher, teacher, [7, 4, 1], 2.0).abs().max() < 1e-6
    student = teacher.clone()
    student[5:, 1] += 10 * torch.randn(2, 11)  # frames beyond line 1's four
    assert distillation_kl(student, teacher, [7, 4, 1], 2.0)[1].abs() < 1e-6
    assert distillation_kl(student, teacher, [7, 7, 1], 2.0)[1] > 0.1


def test_ctc_per_line_is_torch_mean_reduction_line_by_line() -> None:
    logits = torch.randn(12, 2, 6)
    targets = [[1, 2, 2], [4]]
    ours = ctc_per_line(logits, targets, [12, 9]).mean()
    theirs = torch.nn.functional.ctc_loss(
        logits.log_softmax(-1),
        torch.tensor([1, 2, 2, 4]),
        torch.tensor([12, 9]),
        torch.tensor([3, 1]),
        reduction="mean",
    )
    assert torch.allclose(ours, theirs)


def _backbone(model: PPRecNet) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.state_dict().items() if k.startswith(("stem", "stag"))}


def test_stage_one_trains_neck_and_head_stage_two_everything_batchnorm_stays(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    tuner = FineTuner(base, tmp_path, tiny_config(tmp_path, val_dir=""), log=quiet)
    bn = {k: v.clone() for k, v in tuner.model.state_dict().items() if "running" in k}
    backbone, head = _backbone(tuner.model), tuner.model.head.weight.detach().clone()
    tuner.train_step()
    assert all(torch.equal(v, _backbone(tuner.model)[k]) for k, v in backbone.items())
    assert not torch.equal(head, tuner.model.head.weight)
    tuner.step, tuner.stage = 2, 2
    tuner.optimizer = tuner._optimizer(2)
    tuner.train_step()
    assert any(not torch.equal(v, _backbone(tuner.model)[k]) for k, v in backbone.items())
    assert all(torch.equal(v, tuner.model.state_dict()[k]) for k, v in bn.items())


def test_a_step_that_reads_general_text_worse_than_the_base_is_never_kept(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    tuner = FineTuner(base, tmp_path, tiny_config(tmp_path, val_dir=""), log=quiet)
    tuner.base_general = 0.90
    assert not tuner._forgets(0.895) and not tuner._forgets(None)
    assert tuner._forgets(0.85)


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    straight = FineTuner(base, tmp_path / "a", tiny_config(tmp_path), log=quiet, progress=False)
    straight.run()
    broken = FineTuner(base, tmp_path / "b", tiny_config(tmp_path), log=quiet, progress=False)
    broken.out_dir.mkdir()
    broken.train_step()  # stage 1
    broken.save_state()  # as the 5-minute timer would, then the process dies
    resumed = resume(tmp_path / "b", log=quiet, progress=False)
    assert resumed.step == 1 and resumed.stage == 1
    resumed.run()
    ours, theirs = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)
    with pytest.raises(ResumeError, match="batch_size"):
        resume(tmp_path / "b", {"batch_size": 8}, log=quiet)


def test_the_run_logs_the_base_first_and_writes_checkpoints_that_say_what_they_are(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    tuner = FineTuner(base, tmp_path / "run", tiny_config(tmp_path), log=quiet, progress=False)
    result = tuner.run(export=tmp_path / "ft.onnx")
    records = [json.loads(x) for x in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    evals = [r for r in records if r["event"] == "eval"]
    assert [r["step"] for r in evals] == [0, 2, 4]
    assert set(evals[0]["validation"]) == {"lines", "exact", "cer", "exact_tidy"}
    train = [r for r in records if r["event"] == "train"]
    assert [r["stage"] for r in train] == [1, 1, 2, 2]
    assert all({"ctc", "kl", "lines_per_s", "s_per_step"} <= set(r) for r in train)
    final = load_checkpoint(result.final)
    kept = load_checkpoint(result.best or result.final)
    assert final.info.provenance.modified and kept.info.provenance.modified
    assert final.train_config["finetune"]["stage1_steps"] == 2 and "note" in final.train_config
    assert kept.temperature == kept.metrics["calibration"]["temperature"]
    reader = OnnxLineReader(tmp_path / "ft.onnx")
    assert reader.temperature == kept.temperature and reader.info.provenance.modified


def test_calibration_refuses_the_held_out_set(base: PPRecCheckpoint) -> None:
    image = np.full((32, 100), 255, np.uint8)
    with pytest.raises(ValueError, match="held-out"):
        calibrate(base, [image], ["1"], fitted_on="var/eval/general-heldout")


def _export(folder: Path, rows: list[tuple[str, str]]) -> Path:
    (folder / "train").mkdir(parents=True)
    lines = []
    for i, (text, category) in enumerate(rows):
        image = np.full((40, 160), 250, np.uint8)
        cv2.putText(image, str(i), (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
        cv2.imwrite(str(folder / "train" / f"{i}.png"), image)
        lines.append(f"{i}.png\t{text}\t{category}\n")
    (folder / "train" / "labels.tsv").write_text("".join(lines), encoding="utf-8")
    return folder


def test_corrections_join_every_batch_and_labels_outside_the_dictionary_are_counted(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    data = _export(
        tmp_path / "export", [("123.45", "amount"), ("2025年1月2日", "date"), ("张三", "name")]
    )
    config = tiny_config(tmp_path, val_dir="", corrections_dir=str(data), batch_size=8)
    tuner = FineTuner(base, tmp_path / "run", config, log=quiet)
    assert tuner.corrections is not None
    assert tuner.corrections.skipped == {"train:characters_outside_dictionary": 1}
    sources = [line.source for line in tuner.lines_for(0)]
    assert sources.count(CORRECTION) == 2 and sources.count(REPLAY) == 2
    assert tuner.train_step()["lines"] == 8


def test_finetune_ppocr_command_runs_refuses_to_overwrite_and_resumes(
    base: PPRecCheckpoint, tmp_path: Path
) -> None:
    save_checkpoint(tmp_path / "tiny.pt", base)
    opts = {
        "base": str(tmp_path / "tiny.pt"),
        "out_dir": str(tmp_path / "run"),
        "stage1_steps": 1,
        "stage2_steps": 1,
        "batch": 4,
        "val_dir": str(tmp_path / "val"),
        "val_lines": 3,
        "heldout_dir": "none",
        "general_dir": str(tmp_path / "general"),
        "general_lines": 3,
        "extra_fonts": True,
    }
    out = StringIO()
    call_command("finetune_ppocr", **opts, stdout=out, stderr=StringIO())
    summary = json.loads(out.getvalue())
    assert summary["steps"] == 2 and Path(summary["final"]).is_file()
    start = json.loads((tmp_path / "run" / "log.jsonl").read_text().splitlines()[0])
    assert start["config"]["extra_fonts"] is True
    assert set(summary["metrics"]) == {"validation", "general"}
    with pytest.raises(CommandError, match="--resume"):
        call_command("finetune_ppocr", **opts, stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command(
        "finetune_ppocr", **{**opts, "stage2_steps": 2}, resume=True, stdout=out, stderr=StringIO()
    )
    assert json.loads(out.getvalue())["steps"] == 3, "stdout: one JSON line, the log on stderr"
