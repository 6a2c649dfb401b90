from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognition.engine.calibration import fit_temperature
from recognition.engine.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from recognition.engine.evaluate import load_image, read_labels
from recognition.engine.metrics import comparable
from recognition.engine.predictor import Predictor
from recognition.registry import SHIPPED


class Command(BaseCommand):
    help = (
        "Copy a training checkpoint (e.g. recognition/runs/numeric/best.pt) to the shipped "
        "weights folder, without optimizer state, optionally fitting its confidence temperature "
        "on a validation line set. Record its numbers in MODEL_CARD.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", choices=tuple(SHIPPED), required=True)
        parser.add_argument("--from", dest="source", required=True)
        parser.add_argument(
            "--calibrate-on",
            metavar="DIR",
            help="validation line folder (labels.tsv) to fit the confidence temperature on; "
            "never the held-out evaluation set",
        )
        parser.add_argument("--to", dest="target", help="write here instead of the weights folder")

    def handle(self, *args, **opts) -> None:
        try:
            ckpt = load_checkpoint(opts["source"])
        except CheckpointError as exc:
            raise CommandError(str(exc)) from exc
        if ckpt.kind != opts["kind"]:
            raise CommandError(f"{opts['source']} is a {ckpt.kind} model, not {opts['kind']}")
        if opts["calibrate_on"]:
            self._calibrate(ckpt, Path(opts["calibrate_on"]))
        target = Path(opts["target"] or Path(settings.OCR_WEIGHTS_DIR) / SHIPPED[opts["kind"]])
        sha = save_checkpoint(target, ckpt, include_training_state=False)
        size_mb = target.stat().st_size / 1e6
        self.stdout.write(f"{target}: {size_mb:.1f} MB, sha256 {sha}, metrics {ckpt.metrics}")

    def _calibrate(self, ckpt, folder: Path) -> None:
        if folder.resolve().name.endswith("-heldout"):
            raise CommandError(
                f"{folder} is a held-out evaluation set: fit the temperature on a validation split "
                "(make_line_set --training-fonts --seed N) and judge it on the held-out set"
            )
        try:
            lines = read_labels(folder)
            images = [load_image(line.path) for line in lines]
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        ckpt.calibration = {}
        decoded = Predictor(ckpt).recognize(images, keep_scores=True)
        scored = [
            (d.log_probs, d, line) for d, line in zip(decoded, lines) if d.log_probs is not None
        ]
        fit = fit_temperature(
            [lp for lp, _, _ in scored],
            [comparable(d.text) == comparable(line.text) for _, d, line in scored],
            ckpt.charset,
        )
        ckpt.calibration = {**fit.as_dict(), "fitted_on": folder.name}
        self.stdout.write(
            f"temperature {fit.temperature} on {fit.lines} lines of {folder}: Brier score "
            f"{fit.brier_before:.4f} → {fit.brier_after:.4f}"
        )
