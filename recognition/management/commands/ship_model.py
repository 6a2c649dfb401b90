from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognition.engine.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from recognition.loader import SHIPPED


class Command(BaseCommand):
    help = (
        "Copy a training checkpoint (e.g. recognition/runs/numeric/best.pt) to the shipped "
        "weights folder, without optimizer state. Record its numbers in MODEL_CARD.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", choices=tuple(SHIPPED), required=True)
        parser.add_argument("--from", dest="source", required=True)

    def handle(self, *args, **opts) -> None:
        try:
            ckpt = load_checkpoint(opts["source"])
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if ckpt.kind != opts["kind"]:
            raise CommandError(f"{opts['source']} is a {ckpt.kind} model, not {opts['kind']}")
        target = Path(settings.OCR_WEIGHTS_DIR) / SHIPPED[opts["kind"]]
        sha = save_checkpoint(target, ckpt, include_training_state=False)
        size_mb = target.stat().st_size / 1e6
        self.stdout.write(f"{target}: {size_mb:.1f} MB, sha256 {sha}, metrics {ckpt.metrics}")
