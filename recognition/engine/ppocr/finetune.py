"""Fine-tuning a PP-OCR recogniser on CPU: better bill fields, nothing forgotten (pure; no Django).

Every step mixes three kinds of lines (``finetune_data``): synthetic bill fields and, when given,
clerk corrections, both with CTC on their labels, and general-text replay lines whose targets are
the frozen base model's per-frame distributions: ``loss = ctc + λ · τ² · KL(teacher ‖ student)``
at temperature τ. The teacher protects what the base reads beyond bill fields without any labels.

Two stages: (1) the backbone frozen, neck and head trained (AdamW, warm-up then cosine); (2) the
whole model at a low rate. The neck's BatchNorm keeps the base statistics (a batch of 24 lines in
a handful of width groups would estimate them badly), and its dropout is off (``dropout``).

Padding changes what the SVTR neck reads, so a step's lines are grouped by padded width (the
reader's ``bucket_width``) and each group is one forward pass; gradients add up over the groups
before one optimizer step. On one CPU thread a group costs what its pixels cost, padded batches
would cost more.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import cv2
import torch
from torch import nn
from tqdm import tqdm

from ..evaluate import load_image
from ..files import atomic_write
from .checkpoint import PPRecCheckpoint, load_checkpoint, save_checkpoint
from .config import PPRecConfig
from .export import export_onnx
from .finetune_config import RESUMABLE, PPFinetuneConfig, ResumeError
from .finetune_data import (
    REPLAY,
    Corrections,
    LineStream,
    TrainLine,
    load_corrections,
    sample_corrections,
    validation_lines,
)
from .finetune_eval import calibrate, score, width_groups
from .finetune_losses import ctc_per_line, distillation_kl, needs_frames
from .finetune_state import (
    EvalSet,
    FinetuneResult,
    line_folder,
    load_state,
    model_checkpoint,
    state_payload,
    window_figures,
)
from .info import ModelInfo
from .network import PPRecNet
from .preprocess import content_frames, pad_batch, prepare_line


class FineTuner:
    def __init__(
        self,
        base: PPRecCheckpoint,
        out_dir: str | Path,
        config: PPFinetuneConfig,
        *,
        state: Mapping[str, Any] | None = None,
        log: Callable[[str], None] = tqdm.write,
        progress: bool = True,
    ) -> None:
        self.base, self.config, self.out_dir = base, config, Path(out_dir)
        self.say, self.progress = log, progress
        torch.set_num_threads(config.threads)
        cv2.setNumThreads(config.threads)
        self.info: ModelInfo = base.info
        self.index = {c: i + 1 for i, c in enumerate(base.charset.chars)}
        self.teacher = base.build_model().eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)
        self.model: PPRecNet = base.build_model()
        self.step, self.best, self.best_step = 0, -1.0, 0
        self.base_general: float | None = None  # the base's exact on the general set
        self.stream = LineStream(
            base.charset,
            seed=config.seed,
            label_weights=config.label_weights,
            replay_weights=config.replay_weights,
            strength=config.strength,
            extra_fonts=config.extra_fonts,
        )
        self.corrections: Corrections | None = None
        if config.corrections_dir:
            self.corrections = load_corrections(config.corrections_dir, base.charset)
        self.eval_sets = self._eval_sets()
        torch.manual_seed(config.seed)
        if state is not None:
            self.model.load_state_dict(state["state_dict"])
            self.step, self.best = int(state["step"]), float(state["best"])
            self.best_step = int(state.get("best_step", 0))
            self.base_general = state.get("base_general")
            self.stream.skipped.update(state.get("skipped", {}))
        self.stage = config.stage_at(self.step)
        self.optimizer = self._optimizer(self.stage)
        if state is not None:
            if int(state["stage"]) == self.stage:
                self.optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["torch_rng"])

    def _eval_sets(self) -> list[EvalSet]:
        cfg, sets = self.config, []
        if cfg.val_dir:
            lines = validation_lines(
                cfg.val_dir, self.base.charset, n=cfg.val_lines, seed=cfg.val_seed
            )
            images = [load_image(x.path) for x in lines]
            sets.append(EvalSet("validation", images, [x.text for x in lines]))
        if cfg.general_dir:
            lines = validation_lines(
                cfg.general_dir,
                self.base.charset,
                n=cfg.general_lines,
                seed=cfg.val_seed,
                general=True,
                replay_weights=cfg.replay_weights,
            )
            images = [load_image(x.path) for x in lines]
            sets.append(EvalSet("general", images, [x.text for x in lines]))
        if cfg.heldout_dir and (Path(cfg.heldout_dir) / "labels.tsv").is_file():
            sets.append(line_folder("heldout", cfg.heldout_dir))
        elif cfg.heldout_dir:
            self.say(f"no held-out set in {cfg.heldout_dir}: write it with make_line_set")
        if self.corrections is not None and self.corrections.val:
            c = self.corrections.val
            sets.append(EvalSet("corrections", [x.image for x in c], [x.text for x in c]))
        return sets

    def _optimizer(self, stage: int) -> torch.optim.AdamW:
        backbone = {id(p) for m in (self.model.stem, self.model.stages) for p in m.parameters()}
        for p in self.model.parameters():
            p.requires_grad_(stage == 2 or id(p) not in backbone)
        rest = [p for p in self.model.parameters() if id(p) not in backbone]
        groups: list[dict[str, Any]] = [{"params": rest, "lr_scale": 1.0}]
        if stage == 2:
            params = [p for p in self.model.parameters() if id(p) in backbone]
            groups.append({"params": params, "lr_scale": self.config.backbone_lr_scale})
        for group in groups:
            group["lr"] = self.config.lr_at(self.step) * group["lr_scale"]
        return torch.optim.AdamW(groups, weight_decay=self.config.weight_decay)

    def _train_mode(self) -> None:
        self.model.train()
        for module in self.model.modules():
            if isinstance(module, nn.BatchNorm2d) and self.config.freeze_bn:
                module.eval()
            if isinstance(module, nn.Dropout) and not self.config.dropout:
                module.eval()

    def lines_for(self, step: int) -> list[TrainLine]:
        synthetic, corr, replay = self.config.batch_counts(self.corrections is not None)
        lines = self.stream.batch(step, synthetic, replay)
        if corr and self.corrections is not None:
            rng = random.Random(f"{self.config.seed}:corrections:{step}")
            lines[synthetic:synthetic] = sample_corrections(
                self.corrections.train, corr, rng, self.config.augment
            )
        return lines

    def _chunks(self, lines: list[TrainLine]) -> list[tuple[int, list[int]]]:
        """(padded width, line indices) of each forward pass: lines of one width, at most
        ``max_batch_pixels`` of padded width in all, so a step's peak memory stays bounded."""
        out = []
        for width, idx in sorted(width_groups([line.image for line in lines], self.info).items()):
            size = max(1, self.config.max_batch_pixels // width)
            out += [(width, idx[i : i + size]) for i in range(0, len(idx), size)]
        return out

    def train_step(self) -> dict[str, float]:
        """One optimizer step on the step's lines; returns its loss parts."""
        lines = self.lines_for(self.step)
        n_rep = sum(line.source == REPLAY for line in lines)
        n_lab = len(lines) - n_rep
        pre, cfg = self.info.preprocessing, self.config
        frozen = self.stage == 1
        self._train_mode()
        self.optimizer.zero_grad(set_to_none=True)
        ctc_sum = kl_sum = 0.0
        infeasible = 0
        for width, idx in self._chunks(lines):
            prepared = [prepare_line(lines[i].image, pre) for i in idx]
            x = torch.from_numpy(pad_batch(prepared, width))
            frames = [content_frames(p.shape[2], width) for p in prepared]
            lab = [k for k, i in enumerate(idx) if lines[i].source != REPLAY]
            rep = [k for k, i in enumerate(idx) if lines[i].source == REPLAY]
            if frozen:  # the backbone is frozen, and so the teacher's backbone is the student's
                with torch.no_grad():
                    feats = self.model.features(x)
                logits = self.model.head(self.model.neck(feats)).transpose(0, 1)
            else:
                logits = self.model(x)
            loss = logits.new_zeros(())
            if lab:
                targets = [[self.index[c] for c in lines[idx[k]].text] for k in lab]
                lab_frames = [frames[k] for k in lab]
                infeasible += sum(needs_frames(t) > f for t, f in zip(targets, lab_frames))
                ctc = ctc_per_line(logits[:, lab], targets, lab_frames).sum() / n_lab
                loss = loss + ctc
                ctc_sum += ctc.item()
            if rep:
                with torch.no_grad():
                    if frozen:
                        teacher = self.teacher.head(self.teacher.neck(feats[rep])).transpose(0, 1)
                    else:
                        teacher = self.teacher(x[rep])
                kl = (
                    distillation_kl(
                        logits[:, rep], teacher, [frames[k] for k in rep], cfg.kl_temperature
                    ).sum()
                    / n_rep
                )
                loss = loss + cfg.kl_weight * kl
                kl_sum += kl.item()
            loss.backward()
        for group in self.optimizer.param_groups:
            group["lr"] = cfg.lr_at(self.step) * group["lr_scale"]
        params = [p for group in self.optimizer.param_groups for p in group["params"]]
        grad_norm = float(nn.utils.clip_grad_norm_(params, cfg.grad_clip))
        self.optimizer.step()
        self.step += 1
        return {
            "loss": ctc_sum + cfg.kl_weight * kl_sum,
            "ctc": ctc_sum,
            "kl": kl_sum,
            "grad_norm": grad_norm,
            "infeasible": float(infeasible),
            "lines": float(len(lines)),
        }

    def evaluate(self) -> dict[str, dict[str, float | int]]:
        return {
            s.name: score(self.model, s.images, s.texts, self.info).as_dict()
            for s in self.eval_sets
        }

    # -- files -----------------------------------------------------------------------------------

    def state_payload(self) -> dict[str, Any]:
        return state_payload(self)

    def save_state(self) -> Path:
        payload = self.state_payload()

        def write(fh: IO[bytes]) -> None:
            torch.save(payload, fh)

        return atomic_write(self.out_dir / "last.pt", write)

    def model_checkpoint(self, metrics: Mapping[str, Any]) -> PPRecCheckpoint:
        """The current weights as a checkpoint of their own, flagged modified, config inside."""
        return model_checkpoint(self, metrics)

    def record(self, event: str, **data: Any) -> None:
        line = json.dumps({"event": event, "time": round(time.time(), 1), **data})
        with open(self.out_dir / "log.jsonl", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        if event != "train":
            self.say(line)

    # -- the loop --------------------------------------------------------------------------------

    def _evaluate_and_keep(self) -> dict[str, Any]:
        started = time.monotonic()
        figures = self.evaluate()
        seconds = round(time.monotonic() - started, 1)
        self.record("eval", step=self.step, stage=self.stage, seconds=seconds, **figures)
        exact = float(figures.get("validation", {}).get("exact", -1.0))
        general = figures.get("general", {}).get("exact")
        if self.step == 0 and self.best < 0:
            # The base: fine-tuning has to beat it to write best.pt.
            self.best, self.base_general = exact, general
        elif exact > self.best and not self._forgets(general):
            self.best, self.best_step = exact, self.step
            save_checkpoint(self.out_dir / "best.pt", self.model_checkpoint(figures))
            self.record("best", step=self.step, exact=exact)
        return figures

    def _forgets(self, general: float | None) -> bool:
        if general is None or self.base_general is None:
            return False
        forgets = general < self.base_general - self.config.max_general_drop
        if forgets:
            self.record("forgetting", step=self.step, general=general, base=self.base_general)
        return forgets

    def run(self, *, export: str | Path | None = None) -> FinetuneResult:
        cfg = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.record(
            "start" if self.step == 0 else "resume",
            step=self.step,
            config=cfg.to_dict(),
            base_sha256=self.base.sha256,
            parameters=self.model.num_parameters(),
        )
        figures: dict[str, Any] = {}
        if (self.step == 0 and self.best < 0) or self.step >= cfg.total_steps:
            figures = self._evaluate_and_keep()  # the base, or a finished run's last figures
        bar = tqdm(
            total=cfg.total_steps,
            initial=self.step,
            disable=not self.progress,
            dynamic_ncols=True,
            mininterval=5,
        )
        last_save = time.monotonic()
        window: list[dict[str, float]] = []
        try:
            while self.step < cfg.total_steps:
                if cfg.stage_at(self.step) != self.stage:
                    self.stage = cfg.stage_at(self.step)
                    self.optimizer = self._optimizer(self.stage)
                started = time.monotonic()
                parts = self.train_step()
                parts["seconds"] = time.monotonic() - started
                window.append(parts)
                bar.update(1)
                if self.step % cfg.log_every == 0 or self.step == cfg.total_steps:
                    self._log_window(window)
                    bar.set_postfix(loss=f"{window[-1]['loss']:.3f}", stage=self.stage)
                    window = []
                boundary = self.step in (cfg.stage1_steps, cfg.total_steps)
                if self.step % cfg.eval_every == 0 or boundary:
                    figures = self._evaluate_and_keep()
                if boundary or time.monotonic() - last_save > cfg.checkpoint_every_s:
                    self.save_state()
                    last_save = time.monotonic()
        except KeyboardInterrupt:
            self.save_state()
            self.say(f"interrupted: state saved at step {self.step}; continue with --resume")
            raise
        finally:
            bar.close()
        return self.finish(figures, export=export)

    def _log_window(self, window: list[dict[str, float]]) -> None:
        self.record("train", **window_figures(self, window))

    def finish(self, figures: Mapping[str, Any], *, export: str | Path | None) -> FinetuneResult:
        """Final weights, the calibrated best model and, if asked, its ONNX export."""
        final = self.out_dir / "final.pt"
        save_checkpoint(final, self.model_checkpoint(figures))
        best = self.out_dir / "best.pt"
        chosen = best if best.is_file() else final
        val = next((s for s in self.eval_sets if s.name == "validation"), None)
        ckpt = load_checkpoint(chosen)
        if val is not None:
            ckpt, _ = calibrate(ckpt, val.images, val.texts, fitted_on=self.config.val_dir)
            save_checkpoint(chosen, ckpt)
            self.record("calibration", checkpoint=chosen.name, **ckpt.metrics["calibration"])
        onnx_path = None
        if export is not None:
            onnx_path = Path(export)
            sha = export_onnx(ckpt.build_model(), ckpt.info, onnx_path)
            self.record("export", path=str(onnx_path), sha256=sha, checkpoint=chosen.name)
        self.record("done", step=self.step, best=self.best, best_step=self.best_step)
        kept = best if best.is_file() else None
        return FinetuneResult(kept, final, self.step, self.best_step, dict(figures), onnx_path)


def resume(
    out_dir: str | Path,
    overrides: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> FineTuner:
    """The fine-tuner of ``out_dir/last.pt``, with only the ``RESUMABLE`` knobs changed."""
    payload = load_state(Path(out_dir) / "last.pt")
    overrides = dict(overrides or {})
    fixed = sorted(k for k in overrides if k not in RESUMABLE)
    if fixed:
        raise ResumeError(f"a resumed run keeps its {', '.join(fixed)}; start a new run to change")
    config = replace(PPFinetuneConfig.from_dict(payload["config"]), **overrides)
    step = int(payload["step"])
    if int(payload["stage"]) == 2 and config.stage1_steps != payload["config"]["stage1_steps"]:
        raise ResumeError("stage 2 has started: the stage-1 length cannot change any more")
    if config.stage1_steps < step and int(payload["stage"]) == 1:
        raise ResumeError(f"stage 1 is at step {step}: --stage1-steps must not be below it")
    meta = payload["base"]
    base = PPRecCheckpoint(
        config=PPRecConfig.from_dict(payload["arch"]),
        info=ModelInfo.from_dict(payload["info"]),
        state_dict=payload["teacher"],
        train_config=meta.get("train_config", {}),
        metrics=meta.get("metrics", {}),
        sha256=meta.get("sha256", ""),
        path=meta.get("path", ""),
    )
    return FineTuner(base, out_dir, config, state=payload, **kwargs)
