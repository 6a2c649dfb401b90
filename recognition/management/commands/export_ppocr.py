from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.engine.checkpoint import CheckpointError
from recognition.engine.ppocr.build import export_checkpoint
from recognition.engine.ppocr.verify import EquivalenceError, generated_lines
from recognition.shipped import SHIPPED, SHIPPED_TRAINING


class Command(BaseCommand):
    help = (
        "Export one of our PP-OCR checkpoints (by default the shipped fine-tuned general model) "
        "to the ONNX file workers serve, checked against the PyTorch module on generated lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        weights = Path(settings.OCR_WEIGHTS_DIR)
        parser.add_argument(
            "--from", dest="source", default=str(weights / SHIPPED_TRAINING["general"])
        )
        parser.add_argument("--to", dest="target", default=str(weights / SHIPPED["general"]))
        parser.add_argument("--check-lines", type=int, default=8)
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args: Any, **opts: Any) -> None:
        torch.set_num_threads(opts["threads"])
        try:
            onnx, check = export_checkpoint(
                opts["source"], opts["target"], generated_lines(opts["check_lines"])
            )
        except (CheckpointError, EquivalenceError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{onnx.path}: {onnx.bytes / 1e6:.1f} MB, sha256 {onnx.sha256}; torch vs exported "
            f"ONNX on {check.lines} lines: max probability difference {check.max_prob_diff:.1e}, "
            "same texts"
        )
