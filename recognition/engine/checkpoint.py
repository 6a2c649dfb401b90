"""One self-describing file per model: everything needed to rebuild and trust it.

Contents: format version, charset, input height, normalisation, architecture config, training
config, metrics and the state_dict. Written atomically (temp file + rename) and loaded with
``weights_only=True`` so a checkpoint can never execute code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from .charset import Charset
from .crnn import CRNN, CRNNConfig
from .files import atomic_write, file_sha256
from .preprocess import LINE_HEIGHT, NORM_MEAN, NORM_STD

FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt or made for another engine version."""


@dataclass
class Checkpoint:
    charset: Charset
    arch: CRNNConfig
    state_dict: dict[str, torch.Tensor]
    kind: str  # "numeric" or "general"
    train_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    # Optimizer and step, for resuming; not shipped.
    training_state: dict[str, Any] = field(default_factory=dict)
    # {"temperature": T, ...}, fitted at shipping.
    calibration: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    path: str = ""

    @property
    def temperature(self) -> float:
        return float(self.calibration.get("temperature", 1.0))

    def build_model(self) -> CRNN:
        model = CRNN(self.arch)
        model.load_state_dict(self.state_dict)
        model.eval()
        return model


def save_checkpoint(
    path: str | Path, ckpt: Checkpoint, *, include_training_state: bool = True
) -> str:
    """Write atomically; returns the file's sha256."""
    payload = {
        "format_version": FORMAT_VERSION,
        "kind": ckpt.kind,
        "charset": ckpt.charset.chars,
        "input_height": LINE_HEIGHT,
        "normalisation": {"mean": NORM_MEAN, "std": NORM_STD},
        "arch": ckpt.arch.to_dict(),
        "train_config": ckpt.train_config,
        "metrics": ckpt.metrics,
        "calibration": ckpt.calibration,
        "state_dict": {k: v.detach().cpu() for k, v in ckpt.state_dict.items()},
        "training_state": ckpt.training_state if include_training_state else {},
    }
    return file_sha256(atomic_write(path, lambda fh: torch.save(payload, fh)))


def read_payload(path: Path) -> Any:
    """What a checkpoint file holds, loaded with ``weights_only=True`` (it can never run code);
    CheckpointError for a missing, damaged or foreign file."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged zip/pickle
        raise CheckpointError(f"checkpoint {path} is corrupt or unreadable: {exc}") from exc


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    payload = read_payload(path)
    if not isinstance(payload, dict) or "format_version" not in payload:
        raise CheckpointError(f"{path} is not an ocr_review checkpoint")
    if payload["format_version"] != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has format version {payload['format_version']}, this engine reads "
            f"{FORMAT_VERSION}"
        )
    if payload.get("input_height") != LINE_HEIGHT:
        raise CheckpointError(f"{path} expects input height {payload.get('input_height')}")
    try:
        ckpt = Checkpoint(
            charset=Charset(payload["charset"]),
            arch=CRNNConfig.from_dict(payload["arch"]),
            state_dict=payload["state_dict"],
            kind=payload["kind"],
            train_config=payload.get("train_config", {}),
            metrics=payload.get("metrics", {}),
            training_state=payload.get("training_state", {}),
            calibration=payload.get("calibration", {}),
            sha256=file_sha256(path),
            path=str(path),
        )
        if ckpt.arch.num_classes != ckpt.charset.num_classes:
            raise CheckpointError(f"{path}: classifier size does not match its charset")
        ckpt.build_model()
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(f"{path} does not match the CRNN architecture: {exc}") from exc
    return ckpt
