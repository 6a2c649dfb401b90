"""Convert, verify, save, export, verify again: what ``manage.py convert_ppocr`` runs.

Nothing is written unless the converted module matches PaddleOCR's ONNX on the check lines, and
an exported ONNX file that does not match the module is removed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy.typing as npt

from .checkpoint import load_checkpoint, save_checkpoint
from .config import SMALL
from .convert import convert
from .export import export_onnx
from .info import ModelInfo, Provenance
from .network import PPRecNet
from .source import find_model
from .verify import TOLERANCE, Equivalence, compare_with_onnx


@dataclass(frozen=True)
class Artefact:
    path: Path
    sha256: str
    bytes: int


@dataclass(frozen=True)
class BuildResult:
    provenance: Provenance
    parameters: int
    checkpoint: Artefact
    against_source: Equivalence
    onnx: Artefact | None = None
    against_export: Equivalence | None = None


def build(
    checkpoint_path: str | Path,
    onnx_path: str | Path | None,
    images: Sequence[npt.NDArray[Any]],
    *,
    name: str = SMALL,
    tolerance: float = TOLERANCE,
) -> BuildResult:
    ckpt = convert(name)
    model = ckpt.build_model()
    published = ckpt.info.with_changes(output="probabilities", layout="NTC")
    against_source = compare_with_onnx(model, find_model(name).path, images, info=published)
    against_source.check(tolerance)
    checkpoint_path = Path(checkpoint_path)
    sha = save_checkpoint(checkpoint_path, ckpt)
    checkpoint = Artefact(checkpoint_path, sha, checkpoint_path.stat().st_size)
    result = BuildResult(ckpt.info.provenance, model.num_parameters(), checkpoint, against_source)
    if onnx_path is None:
        return result
    onnx, against_export = _export_checked(model, ckpt.info, Path(onnx_path), images, tolerance)
    return BuildResult(
        ckpt.info.provenance,
        model.num_parameters(),
        checkpoint,
        against_source,
        onnx,
        against_export,
    )


def export_checkpoint(
    checkpoint_path: str | Path,
    onnx_path: str | Path,
    images: Sequence[npt.NDArray[Any]],
    *,
    tolerance: float = TOLERANCE,
) -> tuple[Artefact, Equivalence]:
    """Export one of our PP-OCR checkpoints (a fine-tuned one) to ONNX and check the export
    against the module on ``images``; a file that does not match is removed again."""
    ckpt = load_checkpoint(checkpoint_path)
    return _export_checked(ckpt.build_model(), ckpt.info, Path(onnx_path), images, tolerance)


def _export_checked(
    model: PPRecNet,
    info: ModelInfo,
    onnx_path: Path,
    images: Sequence[npt.NDArray[Any]],
    tolerance: float,
) -> tuple[Artefact, Equivalence]:
    """Export ``model`` and check the file against it; a file that does not match is removed."""
    sha = export_onnx(model, info, onnx_path)
    try:
        against_export = compare_with_onnx(model, onnx_path, images)
        against_export.check(tolerance)
    except BaseException:
        onnx_path.unlink(missing_ok=True)
        raise
    return Artefact(onnx_path, sha, onnx_path.stat().st_size), against_export
