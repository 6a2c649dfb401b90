from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recognition.candidates import register_candidate, short, training_summary
from recognition.engine.checkpoint import CheckpointError, load_checkpoint
from recognition.engine.crnn_export import export_crnn_onnx
from recognition.engine.finetune import FinetuneConfig, finetune, kinds_in
from recognition.exceptions import RegistryError
from recognition.registry import active_version, training_path


class Command(BaseCommand):
    help = (
        "Fine-tune the ACTIVE model of a kind on a corrections export (manage.py "
        "export_corrections), mixing in synthetic replay so it does not forget. Writes a new "
        "checkpoint; --register also records it as an inactive model version with its figures "
        "(activate it in the admin, through the gate)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--data", required=True, help="folder written by export_corrections")
        parser.add_argument("--epochs", type=int, default=5)
        parser.add_argument(
            "--kind",
            choices=("numeric", "general", "auto"),
            default="auto",
            help="auto: each model on the fields it reads (numeric kinds → numeric model)",
        )
        parser.add_argument(
            "--replay",
            type=float,
            default=FinetuneConfig.replay,
            help="synthetic share of every batch (0-1); 0.875: 4 real crops in a batch of 32",
        )
        parser.add_argument(
            "--out",
            default=None,
            help="checkpoint file (one kind) or folder (auto); default var/models/",
        )
        parser.add_argument("--batch-size", type=int, default=32)
        parser.add_argument("--lr", type=float, default=FinetuneConfig.lr)
        parser.add_argument("--max-steps", type=int, default=None)
        parser.add_argument("--eval-lines", type=int, default=300)
        parser.add_argument("--threads", type=int, default=2)
        parser.add_argument("--seed", type=int, default=1234)
        parser.add_argument(
            "--register",
            action="store_true",
            help="register the result (inactive) and score it on the fixed and validation sets",
        )

    def handle(self, *args, **opts) -> None:
        data = Path(opts["data"])
        if not data.is_dir():
            raise CommandError(f"{data} is not a folder")
        kinds = self._kinds(data, opts["kind"])
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        default_dir = Path(settings.VAR_DIR) / "models"
        for kind in kinds:
            if opts["out"] and opts["kind"] != "auto":
                out = Path(opts["out"])
            else:
                out = Path(opts["out"] or default_dir) / f"{kind}-ft-{stamp}.pt"
            base = active_version(kind)
            self.stdout.write(f"{kind}: fine-tuning {base} on {data}")
            try:
                config = FinetuneConfig(
                    kind=kind,
                    epochs=opts["epochs"],
                    batch_size=opts["batch_size"],
                    replay=opts["replay"],
                    lr=opts["lr"],
                    max_steps=opts["max_steps"],
                    eval_lines=opts["eval_lines"],
                    threads=opts["threads"],
                    seed=opts["seed"],
                )
                if kind != "numeric":
                    raise ValueError(
                        "the general model is PP-OCRv6 (manage.py finetune_ppocr fine-tunes it); "
                        "this command fine-tunes the numeric CRNN"
                    )
                result = finetune(training_path(base), data, out, config)
            except (ValueError, CheckpointError) as exc:
                raise CommandError(f"{kind}: {exc}") from exc
            self.stdout.write(
                f"{kind}: wrote {result.path} (sha256 {result.sha256[:12]}, {result.steps} steps, "
                f"{result.seconds:.0f} s)\n"
                f"  before {json.dumps(result.metrics['before'])}\n"
                f"  after  {json.dumps(result.metrics['after'])}"
            )
            if opts["register"]:
                self._register(result, base, data)

    def _kinds(self, data: Path, kind: str) -> list[str]:
        if kind != "auto":
            return [kind]
        counts = kinds_in(data)
        if not counts:
            raise CommandError(
                f"{data} does not say which field kinds its crops are (no train/labels.tsv): "
                "name the model with --kind numeric or --kind general"
            )
        return sorted(counts)

    def _register(self, result, base, data: Path) -> None:
        try:
            # Workers serve the ONNX export (no torch); the checkpoint is kept beside it.
            served = Path(result.path).with_suffix(".onnx")
            export_crnn_onnx(load_checkpoint(result.path), served)
            candidate = register_candidate(
                served,
                result.kind,
                training_checkpoint=Path(result.path),
                summary=training_summary(data, **result.data),
                parent=base,
            )
        except RegistryError as exc:
            raise CommandError(exc.message) from exc
        figures = {k: short(v) for k, v in candidate.figures.items()}
        self.stdout.write(
            f"{result.kind}: registered {candidate.version.name} (inactive): "
            f"{json.dumps(figures)}\n  {candidate.gate.message()}"
        )
