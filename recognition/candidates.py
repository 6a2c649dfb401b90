"""A fine-tuned model becomes a candidate version: registered (inactive) with its training data,
scored on the fixed held-out set and on the validation split of the corrections it learnt from,
and put through the activation gate, which reports whether it may replace the active version.

Both fine-tuning commands end here (``finetune_ppocr --register`` for the general model,
``finetune_ocr --register`` for the numeric CRNN), so a month's corrections reach the admin's
*Activate* button the same way whichever model they improved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import activation, registry
from .activation import GATE_REAL_LINES, Gate
from .models import ModelVersion


@dataclass(frozen=True)
class Candidate:
    """A registered, inactive version, its figures by set and the gate's verdict on it."""

    version: ModelVersion
    figures: dict[str, dict]
    gate: Gate


def training_summary(corrections: Path | None, **extra: object) -> dict:
    """What a version learnt from: the corrections export (its manifest's counts) and, as the
    real set its gate compares on, that export's ``val/`` split: the exporter splits by a hash of
    the document, so none of its documents is in the ``train/`` split this version learnt."""
    summary: dict = {**extra}
    if corrections is None:
        return summary
    corrections = corrections.resolve()
    summary["export"] = str(corrections)
    manifest = corrections / "manifest.json"
    if manifest.is_file():
        summary["manifest_counts"] = json.loads(manifest.read_text()).get("counts", {})
    if (corrections / "val" / "labels.tsv").is_file():
        summary[GATE_REAL_LINES] = str(corrections / "val")
    return summary


def register_candidate(
    served: Path,
    kind: str,
    *,
    training_checkpoint: Path,
    summary: dict,
    parent: ModelVersion | None = None,
) -> Candidate:
    """Register ``served`` (the ONNX file workers would serve), score it and check the gate.
    Without ``parent``, the version it was fine-tuned from is (``registry.register``).

    Raises RegistryError when the file is not a ``kind`` model or a set cannot be read.
    """
    version = registry.register(
        served, kind, parent, summary, training_checkpoint=training_checkpoint
    )
    figures = {"heldout": registry.evaluate_version(version, registry.heldout_dir(kind))}
    export = summary.get("export")
    if export and (Path(export) / "val" / "labels.tsv").is_file():
        figures["validation"] = registry.evaluate_version(
            version, Path(export) / "val", metric="validation"
        )
    gate = activation.check_gate(version)
    version.refresh_from_db()
    real = activation.real_figures(version)
    if real:
        figures["real"] = real
    return Candidate(version, figures, gate)


def short(figures: dict) -> dict:
    """The figures a person reads first: lines, exact share, character error rate."""
    return {k: figures.get(k) for k in ("lines", "exact", "cer")}
