"""Fine-tuning a CRNN on clerk-checked field crops, with synthetic replay (pure; no Django).

Input is a corrections export (reviews/export.py): ``train/labels.tsv`` and ``val/labels.tsv`` in
the line-folder format of evaluate.py, whose category column is the field kind; a folder with only
PaddleOCR ``train.txt``/``val.txt`` works too (kinds unknown, so name the model kind).

Every batch mixes real crops with synthetic lines from the training fonts (``replay`` is the
synthetic share): a few hundred crops of one form would otherwise pull the model towards that form
and away from everything else it reads. BatchNorm statistics stay those of the base model (see
``freeze_bn``). A real crop is degraded again now and then (synth.degrade at half strength) so
that it is not seen twice the same. The learning rate warms up briefly and decays by a cosine to
``min_lr``; it starts well below the from-scratch rate so the fine-tune adjusts rather than
relearns.

The result is a self-describing checkpoint: the fine-tune config, the base checkpoint's sha256 and
config, a summary of the data and the before/after figures travel inside it.
"""

from __future__ import annotations

import csv
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm import tqdm

from .charset import Charset, fold
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .crnn import CRNN
from .evaluate import NUMERIC_CATEGORIES, LabelledLine, load_image, read_labels
from .synth import LineSynth, SynthLine, degrade
from .train import evaluate_model, make_batch, validation_set

SPLITS = ("train", "val")


def model_kind_for(category: str) -> str:
    """The model that reads a field of this kind: numeric for IDs, amounts, dates, accounts,
    phones and document numbers, general for everything else."""
    return "numeric" if category in NUMERIC_CATEGORIES else "general"


@dataclass
class FinetuneConfig:
    kind: str  # numeric | general
    epochs: int = 5
    batch_size: int = 32
    # Share of each batch drawn from synthetic lines, and the peak learning rate. Measured on 190
    # loan-form crops (bench/finetune_gain.py): replay 0.5 at 3e-4 cost the fixed evaluation set
    # 1.0 point, 0.75 at 1e-4 0.3, 0.875 at 1e-4 0.1 (within the gate), for the same gain.
    replay: float = 0.875
    lr: float = 1e-4
    min_lr: float = 1e-5
    warmup_steps: int = 20
    weight_decay: float = 1e-4
    grad_clip: float = 5.0
    augment: float = 0.5  # probability that a real crop is degraded again
    # BatchNorm keeps the running statistics of the base training: at momentum 0.1 a few dozen
    # batches of one form would otherwise replace them, and every other form reads worse.
    freeze_bn: bool = True
    max_steps: int | None = None  # cap on steps (quick runs, tests)
    eval_lines: int = 300  # synthetic held-out lines scored before and after (forgetting)
    seed: int = 1234
    threads: int = 2

    def __post_init__(self) -> None:
        if self.kind not in ("numeric", "general"):
            raise ValueError(f"unknown model kind {self.kind!r}")
        if not 0 <= self.replay < 1:
            raise ValueError("replay is the synthetic share of a batch: 0 ≤ replay < 1")
        if self.epochs < 1 or self.batch_size < 2:
            raise ValueError("need at least one epoch and batches of two lines")

    @property
    def real_per_batch(self) -> int:
        return max(1, min(self.batch_size, round(self.batch_size * (1 - self.replay))))

    def lr_at(self, step: int, total: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, total - self.warmup_steps))
        return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress))


@dataclass
class Crops:
    """The usable crops of one split for one model kind, and what was left out and why."""

    lines: list[SynthLine]
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass
class FinetuneResult:
    path: Path
    sha256: str
    kind: str
    steps: int
    seconds: float
    metrics: dict[str, Any]
    data: dict[str, Any]


def read_split(data_dir: str | Path, split: str) -> list[LabelledLine]:
    """Labelled crops of one split: ``split/labels.tsv``, else PaddleOCR ``split.txt``."""
    folder = Path(data_dir)
    if (folder / split / "labels.tsv").is_file():
        return read_labels(folder / split)
    paddle = folder / f"{split}.txt"
    if not paddle.is_file():
        return []
    out = []
    with open(paddle, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 2 and row[0].strip():
                out.append(LabelledLine(folder / row[0], row[1]))
    return out


def kinds_in(data_dir: str | Path) -> dict[str, int]:
    """Training crops per model kind (``--kind auto``); empty when the kinds are unknown."""
    counts: dict[str, int] = {}
    for line in read_split(data_dir, "train"):
        if line.category:
            kind = model_kind_for(line.category)
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def load_crops(lines: Sequence[LabelledLine], kind: str, charset: Charset) -> Crops:
    """Images and folded labels of the lines this kind of model reads (all, if uncategorised)."""
    crops = Crops([])
    for line in lines:
        if line.category and model_kind_for(line.category) != kind:
            continue
        text = fold(line.text)
        reason = None
        if not text:
            reason = "empty_label"
        elif not charset.covers(text):
            reason = "characters_outside_charset"
        if reason is None:
            try:
                image = load_image(line.path)
                if min(image.shape[:2]) < 2:
                    reason = "image_too_small"
            except (OSError, ValueError):  # missing file, or not an image
                reason = "unreadable_image"
        if reason:
            crops.skipped[reason] = crops.skipped.get(reason, 0) + 1
            continue
        crops.lines.append(SynthLine(image, text, line.category, "export"))
    return crops


def _score(model: CRNN, charset: Charset, lines: Sequence[SynthLine]) -> dict[str, float] | None:
    if not lines:
        return None
    figures = evaluate_model(model, charset, lines)
    return {k: round(v, 5) if isinstance(v, float) else v for k, v in figures.items()}


def finetune(
    base: str | Path | Checkpoint,
    data_dir: str | Path,
    out_path: str | Path,
    config: FinetuneConfig,
    *,
    progress: bool = True,
    log: Callable[[str], None] = tqdm.write,
) -> FinetuneResult:
    """Fine-tune ``base`` on the ``config.kind`` crops of ``data_dir``; write ``out_path``."""
    started = time.monotonic()
    ckpt = base if isinstance(base, Checkpoint) else load_checkpoint(base)
    if ckpt.kind != config.kind:
        raise ValueError(f"the base checkpoint reads {ckpt.kind} fields, not {config.kind}")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    charset = ckpt.charset
    train = load_crops(read_split(data_dir, "train"), config.kind, charset)
    val = load_crops(read_split(data_dir, "val"), config.kind, charset)
    if not train.lines:
        raise ValueError(f"{data_dir} holds no usable {config.kind} training crops")
    synthetic_val = (
        validation_set(charset, config.kind, config.eval_lines) if config.eval_lines else []
    )

    model = ckpt.build_model()
    before = {
        "validation": _score(model, charset, val.lines),
        "synthetic": _score(model, charset, synthetic_val),
    }
    model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    loss_fn = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)
    replay = LineSynth(charset, numeric=config.kind == "numeric", seed=config.seed)
    rng = random.Random(config.seed)

    per_batch = config.real_per_batch
    steps_per_epoch = math.ceil(len(train.lines) / per_batch)
    total = config.epochs * steps_per_epoch
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    history: list[dict[str, object]] = []
    step, losses = 0, []
    bar = tqdm(
        total=total, desc=f"fine-tune {config.kind}", disable=not progress, dynamic_ncols=True
    )
    for epoch in range(config.epochs):
        order = list(train.lines)
        rng.shuffle(order)
        for start in range(0, len(order), per_batch):
            if step >= total:
                break
            real = [
                _augmented(line, rng, config.augment) for line in order[start : start + per_batch]
            ]
            synthetic = [replay.sample() for _ in range(config.batch_size - per_batch)]
            images, targets, in_len, tgt_len = make_batch(real + synthetic, charset)
            for group in optimizer.param_groups:
                group["lr"] = config.lr_at(step, total)
            _train_mode(model, config.freeze_bn)  # evaluate_model leaves the model in train()
            logits = model(images)
            loss = loss_fn(logits.log_softmax(-1).float(), targets, in_len, tgt_len)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            step += 1
            losses.append(loss.item())
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{losses[-1]:.3f}")
        record: dict[str, object] = {"epoch": epoch + 1, "step": step, "loss": _mean(losses)}
        if val.lines:
            record["validation"] = _score(model, charset, val.lines)
        history.append(record)
        log(f"epoch {epoch + 1}: {record}")
        losses = []
        if step >= total:
            break
    bar.close()
    after = {
        "validation": _score(model, charset, val.lines),
        "synthetic": _score(model, charset, synthetic_val),
    }
    data = {
        "dir": str(data_dir),
        "train_lines": len(train.lines),
        "val_lines": len(val.lines),
        "skipped": {"train": train.skipped, "val": val.skipped},
    }
    metrics = {"before": before, "after": after, "history": history}
    seconds = time.monotonic() - started
    train_config = {
        "finetune": {
            **asdict(config),
            "base_sha256": ckpt.sha256,
            "base_path": ckpt.path,
            "steps": step,
            "seconds": round(seconds, 1),
        },
        "base_train_config": ckpt.train_config,
        "data": data,
    }
    out = Path(out_path)
    sha = save_checkpoint(
        out,
        Checkpoint(
            charset=charset,
            arch=ckpt.arch,
            state_dict=model.state_dict(),
            kind=config.kind,
            train_config=train_config,
            metrics=metrics,
        ),
        include_training_state=False,
    )
    return FinetuneResult(out, sha, config.kind, step, seconds, metrics, data)


def _train_mode(model: CRNN, freeze_bn: bool) -> None:
    model.train()
    if freeze_bn:
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()


def _augmented(line: SynthLine, rng: random.Random, p: float) -> SynthLine:
    if p <= 0 or rng.random() >= p:
        return line
    return replace(line, image=degrade(line.image, rng, strength=0.5))


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
