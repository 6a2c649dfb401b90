"""The configuration of a PP-OCR fine-tuning run, as data: saved in ``last.pt`` and in every
checkpoint the run writes, so a model can be traced back to how it was made."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .finetune_data import LABEL_WEIGHTS, REPLAY_WEIGHTS

# Knobs a resumed run may change; everything else is the run's identity.
RESUMABLE = (
    "stage1_steps",
    "stage2_steps",
    "eval_every",
    "log_every",
    "checkpoint_every_s",
    "threads",
)


@dataclass
class PPFinetuneConfig:
    stage1_steps: int = 1500
    stage2_steps: int = 1500
    batch_size: int = 24
    lr_stage1: float = 2e-4
    lr_stage2: float = 3e-5
    # Stage 2 moves the backbone slower than neck and head: Adam moves every weight by about the
    # rate whatever its gradient, and the re-parameterised convs (batch norm folded in) are
    # sensitive. Measured on the replay lines: τ²·KL rose from 0.01 to 0.38 within 30 steps with
    # the backbone at the full 3e-5, and stayed at or below 0.03 for 40 steps at a tenth of it.
    backbone_lr_scale: float = 0.1
    min_lr_ratio: float = 0.05  # cosine floor, as a share of the stage's peak rate
    warmup_steps: int = 50
    weight_decay: float = 1e-4
    grad_clip: float = 5.0
    # Lines × padded width of one forward pass; a step's lines of one width are split beyond it
    # (gradients add up), which bounds a step's memory: a pass holds 18,710 scores a frame.
    max_batch_pixels: int = 3200
    replay_share: float = 0.3  # replay (distillation) lines per batch
    corrections_share: float = 0.25  # corrections per batch, when an export is given
    kl_weight: float = 1.0  # λ
    kl_temperature: float = 2.0  # τ
    freeze_bn: bool = True
    # The neck's dropout: off by default, so that the KL term measures drift from the teacher
    # alone (with it on, student and teacher disagree from the first step on dropout noise that
    # outweighs the small CTC loss of a base that already reads most synthetic lines).
    dropout: bool = False
    augment: float = 0.5  # probability that a correction crop is degraded again
    strength: float = 1.0  # synthetic degradation strength
    extra_fonts: bool = False  # fonts.FONTS marked extra join the training fonts
    eval_every: int = 250
    log_every: int = 10
    checkpoint_every_s: float = 300.0
    val_dir: str = ""
    val_lines: int = 300
    val_seed: int = 7  # training lines are drawn from other keys of the seed (see LineStream)
    heldout_dir: str = ""
    # General text (the replay categories, labelled; training fonts, the validation seed): a
    # step whose reading of it falls more than ``max_general_drop`` below the base's is never
    # kept as best.pt, however well it reads bill fields.
    general_dir: str = ""
    general_lines: int = 200
    max_general_drop: float = 0.01
    corrections_dir: str = ""
    seed: int = 1234
    threads: int = 1
    label_weights: dict[str, float] = field(default_factory=lambda: dict(LABEL_WEIGHTS))
    replay_weights: dict[str, float] = field(default_factory=lambda: dict(REPLAY_WEIGHTS))

    def __post_init__(self) -> None:
        if self.stage1_steps < 0 or self.stage2_steps < 0 or self.batch_size < 2:
            raise ValueError("step counts must be ≥ 0 and batches hold at least two lines")
        if not 0 <= self.replay_share < 1 or not 0 <= self.corrections_share < 1:
            raise ValueError("replay and corrections shares are fractions of a batch (0 ≤ x < 1)")

    @property
    def total_steps(self) -> int:
        return self.stage1_steps + self.stage2_steps

    def stage_at(self, step: int) -> int:
        return 1 if step < self.stage1_steps else 2

    def lr_at(self, step: int) -> float:
        peak, start, length = (
            (self.lr_stage1, 0, self.stage1_steps)
            if self.stage_at(step) == 1
            else (self.lr_stage2, self.stage1_steps, self.stage2_steps)
        )
        local = step - start
        warmup = min(self.warmup_steps, max(1, length // 10))
        if local < warmup:
            return peak * (local + 1) / warmup
        progress = min(1.0, (local - warmup) / max(1, length - warmup))
        floor = peak * self.min_lr_ratio
        return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))

    def batch_counts(self, corrections: bool) -> tuple[int, int, int]:
        """(synthetic, corrections, replay) lines of one step."""
        replay = round(self.batch_size * self.replay_share)
        corr = round(self.batch_size * self.corrections_share) if corrections else 0
        return self.batch_size - replay - corr, corr, replay

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(json.dumps(asdict(self)))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PPFinetuneConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


class ResumeError(ValueError):
    """``last.pt`` is missing, damaged, or cannot continue with the changes asked for."""
