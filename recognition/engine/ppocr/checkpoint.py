"""Self-describing checkpoints of PP-OCR recognisers (our format, beside the CRNN one).

The CRNN format (``engine.checkpoint``) fixes the input height at 32 and the architecture to CRNN,
so these files have a format of their own with the same habits: written atomically, loaded with
``weights_only=True`` and ``map_location="cpu"``, sha256 recorded, ``CheckpointError`` on anything
wrong. Contents: format, architecture config, ``info.ModelInfo`` (charset, preprocessing,
provenance and licence, temperature), training config, metrics and the state_dict. The CRNN loader
refuses these files (their input height is 48) with a clear message, and this one refuses CRNNs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from ..charset import Charset
from ..checkpoint import CheckpointError, read_payload
from ..files import atomic_write, file_sha256
from .config import PPRecConfig
from .info import ModelInfo, ModelInfoError
from .network import PPRecNet

FORMAT = "ppocr-rec"
FORMAT_VERSION = 1


@dataclass
class PPRecCheckpoint:
    config: PPRecConfig
    info: ModelInfo
    state_dict: dict[str, torch.Tensor]
    train_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    path: str = ""

    @property
    def charset(self) -> Charset:
        return self.info.charset

    @property
    def kind(self) -> str:
        return self.info.kind

    @property
    def temperature(self) -> float:
        return self.info.temperature

    def build_model(self) -> PPRecNet:
        model = PPRecNet(self.config)
        model.load_state_dict(self.state_dict)
        model.eval()
        return model

    def modified(self, state_dict: dict[str, torch.Tensor], **changes: Any) -> PPRecCheckpoint:
        """A copy with new weights (fine-tuned), flagged as modified from its source."""
        info = self.info.with_changes(
            provenance=replace(self.info.provenance, modified=True), **changes
        )
        return replace(self, info=info, state_dict=state_dict, sha256="", path="")


def save_checkpoint(path: str | Path, ckpt: PPRecCheckpoint) -> str:
    """Write atomically; returns the file's sha256."""
    pre = ckpt.info.preprocessing
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": ckpt.info.kind,
        # The same top-level keys as the CRNN format, so either loader can tell what it holds.
        "charset": ckpt.info.charset.chars,
        "input_height": pre.height,
        "normalisation": {"mean": pre.mean, "std": pre.std},
        "arch": {"name": ckpt.config.name, "config": ckpt.config.to_dict()},
        "info": ckpt.info.to_dict(),
        "train_config": ckpt.train_config,
        "metrics": ckpt.metrics,
        "calibration": {"temperature": ckpt.info.temperature},
        "state_dict": {k: v.detach().cpu().contiguous() for k, v in ckpt.state_dict.items()},
    }
    atomic_write(path, lambda fh: torch.save(payload, fh))
    return file_sha256(path)


def load_checkpoint(path: str | Path) -> PPRecCheckpoint:
    path = Path(path)
    payload = read_payload(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a PP-OCR recogniser checkpoint")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has format version {payload.get('format_version')}, this engine reads "
            f"{FORMAT_VERSION}"
        )
    try:
        info = ModelInfo.from_dict(payload["info"])
        ckpt = PPRecCheckpoint(
            config=PPRecConfig.from_dict(payload["arch"]["config"]),
            info=info,
            state_dict=payload["state_dict"],
            train_config=payload.get("train_config", {}),
            metrics=payload.get("metrics", {}),
            sha256=file_sha256(path),
            path=str(path),
        )
        if ckpt.config.num_classes != info.charset.num_classes:
            raise CheckpointError(f"{path}: classifier size does not match its charset")
        if ckpt.config.input_height != info.preprocessing.height:
            raise CheckpointError(f"{path}: network and preprocessing disagree on the height")
        ckpt.build_model()
    except CheckpointError:
        raise
    except (ModelInfoError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} does not match the PP-OCR architecture: {exc}") from exc
    return ckpt
