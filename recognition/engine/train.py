"""Training of the CRNN on synthetic lines: config as data, resumable, checkpointing on a timer.

Run through ``manage.py train_ocr`` (or ``python -m recognition.engine.train``). One process does
everything: on 2 CPU cores, rendering lines in the training process costs less than DataLoader
workers fighting torch for the same cores (rendering is ~3 ms a line, a step ~1 s).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .charset import Charset, general_charset, numeric_charset
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .crnn import CRNN, CRNNConfig, output_lengths
from .ctc import decode_batch
from .metrics import Score
from .preprocess import pad_batch, prepare_line
from .synth import LineSynth, SynthLine


class _Arch(TypedDict):
    channels: tuple[int, ...]
    lstm_hidden: int


ARCHS: dict[str, _Arch] = {
    "numeric": {"channels": (32, 48, 64, 64, 96, 96), "lstm_hidden": 96},
}


@dataclass
class TrainConfig:
    # The CRNN is the numeric model only: the general model is PP-OCRv6 (engine/ppocr).
    kind: str = "numeric"
    batch_size: int = 32
    lr: float = 1e-3
    min_lr: float = 5e-5
    weight_decay: float = 1e-4
    warmup_steps: int = 300
    max_steps: int = 20_000
    grad_clip: float = 5.0
    # (from_step, max_chars): short strings first so CTC leaves the all-blank plateau early.
    curriculum: list[tuple[int, int | None]] = field(default_factory=lambda: [(0, None)])
    strength: float = 1.0  # degradation strength
    eval_every: int = 500
    eval_lines: int = 600
    checkpoint_every_s: float = 300.0
    seed: int = 1234
    threads: int = 2

    @classmethod
    def for_kind(cls, kind: str, **overrides: Any) -> TrainConfig:
        if kind != "numeric":
            raise ValueError(
                f"the CRNN trains the numeric model only, not {kind!r} "
                "(the general model is fine-tuned by manage.py finetune_ppocr)"
            )
        base = cls(kind="numeric", max_steps=12_000, curriculum=[(0, 6), (800, None)])
        return replace(base, **overrides)

    def max_chars(self, step: int) -> int | None:
        current = None
        for from_step, max_chars in self.curriculum:
            if step >= from_step:
                current = max_chars
        return current

    def lr_at(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.max_steps - self.warmup_steps))
        return self.min_lr + 0.5 * (self.lr - self.min_lr) * (1 + math.cos(math.pi * progress))


def charset_for(kind: str) -> Charset:
    return numeric_charset() if kind == "numeric" else general_charset()


def make_batch(
    lines: Sequence[SynthLine], charset: Charset
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    prepared = [prepare_line(line.image) for line in lines]
    # Widths rounded up to 64 px: every distinct input shape costs oneDNN a cached primitive, and
    # unbounded shapes grow a training process by gigabytes over hours.
    width = -(-max(p.shape[1] for p in prepared) // 64) * 64
    images = torch.from_numpy(pad_batch(prepared, width))
    targets = [charset.encode(line.text) for line in lines]
    flat = torch.tensor([c for t in targets for c in t], dtype=torch.long)
    target_lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    input_lengths = output_lengths(torch.tensor([p.shape[1] for p in prepared]))
    return images, flat, input_lengths, target_lengths


def validation_set(charset: Charset, kind: str, n: int, seed: int = 99) -> list[SynthLine]:
    """Held-out fonts, fixed seed: the same lines at every evaluation and in every session."""
    synth = LineSynth(charset, numeric=kind == "numeric", held_out=True, seed=seed)
    return [synth.sample() for _ in range(n)]


def evaluate_model(
    model: CRNN, charset: Charset, lines: Sequence[SynthLine], batch_size: int = 64
) -> dict[str, float]:
    model.eval()
    score = Score()
    with torch.inference_mode():
        for start in range(0, len(lines), batch_size):
            chunk = lines[start : start + batch_size]
            images, _, input_lengths, _ = make_batch(chunk, charset)
            logits = model(images).numpy()
            for line, dec in zip(chunk, decode_batch(logits, input_lengths.numpy(), charset)):
                score.add(dec.text, line.text)
    model.train()
    return {"exact": score.exact_rate, "cer": score.cer, "lines": score.lines}


class Trainer:
    def __init__(
        self,
        config: TrainConfig,
        out_dir: Path,
        *,
        device: str = "cpu",
        resume: Path | None = None,
        init_from: Path | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.device = torch.device(device)
        torch.set_num_threads(config.threads)
        self.step = 0
        self.best = -1.0
        state: dict[str, Any] | None = None
        arch: CRNNConfig
        weights: dict[str, torch.Tensor] | None
        if resume is not None:
            ckpt = load_checkpoint(resume)
            config = replace(TrainConfig(**_tupled(ckpt.train_config)), **_overrides(config))
            state = ckpt.training_state
            self.step = state.get("step", 0)
            self.best = state.get("best", -1.0)
            self.charset, arch, weights = ckpt.charset, ckpt.arch, ckpt.state_dict
        else:
            self.charset = charset_for(config.kind)
            arch = CRNNConfig(num_classes=self.charset.num_classes, **ARCHS[config.kind])
            weights = load_checkpoint(init_from).state_dict if init_from else None
        self.config = config
        self.model = CRNN(arch).to(self.device)
        if weights is not None:
            self.model.load_state_dict(weights)
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        if state and "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        self.loss_fn = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=True)
        # A resumed run continues with fresh but deterministic data.
        self.synth = LineSynth(
            self.charset,
            numeric=config.kind == "numeric",
            seed=config.seed + self.step,
            strength=config.strength,
        )
        self.val_lines = validation_set(self.charset, config.kind, config.eval_lines)
        self._pending: list[list[SynthLine]] = []

    def _next_lines(self) -> list[SynthLine]:
        """Draw 8 batches at once and group them by width so padding wastes little compute."""
        if not self._pending:
            max_chars = self.config.max_chars(self.step)
            pool = [self.synth.sample(max_chars) for _ in range(self.config.batch_size * 8)]
            pool.sort(key=lambda line: line.image.shape[1] / line.image.shape[0])
            batches = [
                pool[i : i + self.config.batch_size]
                for i in range(0, len(pool), self.config.batch_size)
            ]
            random.Random(self.step).shuffle(batches)
            self._pending = batches
        return self._pending.pop()

    def checkpoint(
        self, name: str, metrics: dict[str, float] | None = None, *, training_state: bool = True
    ) -> Path:
        path = self.out_dir / name
        save_checkpoint(
            path,
            Checkpoint(
                charset=self.charset,
                arch=self.model.config,
                state_dict=self.model.state_dict(),
                kind=self.config.kind,
                train_config=_jsonable(asdict(self.config)),
                metrics=metrics or {},
                training_state={
                    "step": self.step,
                    "best": self.best,
                    "optimizer": self.optimizer.state_dict(),
                }
                if training_state
                else {},
            ),
            include_training_state=training_state,
        )
        return path

    def run(self, steps: int | None = None) -> dict[str, float]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        end = min(self.config.max_steps, self.step + steps) if steps else self.config.max_steps
        log = open(self.out_dir / "log.jsonl", "a")
        last_save = time.monotonic()
        metrics: dict[str, float] = {}
        seen, window_start, losses = 0, time.monotonic(), []
        seen, window_start = 0, time.monotonic()
        bar = tqdm(total=end, initial=self.step, dynamic_ncols=True, mininterval=5)
        self.model.train()
        while self.step < end:
            lines = self._next_lines()
            images, targets, in_len, tgt_len = make_batch(lines, self.charset)
            for group in self.optimizer.param_groups:
                group["lr"] = self.config.lr_at(self.step)
            logits = self.model(images.to(self.device))
            loss = self.loss_fn(logits.log_softmax(-1).float().cpu(), targets, in_len, tgt_len)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self.optimizer.step()
            self.step += 1
            seen += len(lines)
            losses.append(loss.item())
            bar.update(1)
            if self.step % 50 == 0:
                rate = seen / (time.monotonic() - window_start)
                bar.set_postfix(
                    loss=f"{np.mean(losses):.3f}",
                    lines_s=f"{rate:.0f}",
                    lr=f"{self.config.lr_at(self.step):.1e}",
                )
            if self.step % self.config.eval_every == 0 or self.step == end:
                metrics = evaluate_model(self.model, self.charset, self.val_lines)
                record = {
                    "step": self.step,
                    "loss": float(np.mean(losses)),
                    "time": time.time(),
                    "lines_per_s": seen / (time.monotonic() - window_start),
                    "max_chars": self.config.max_chars(self.step),
                    **metrics,
                }
                log.write(json.dumps(record) + "\n")
                log.flush()
                tqdm.write(json.dumps(record))
                losses, seen, window_start = [], 0, time.monotonic()
                if metrics["exact"] > self.best:
                    self.best = metrics["exact"]
                    self.checkpoint("best.pt", metrics, training_state=False)
            if time.monotonic() - last_save > self.config.checkpoint_every_s:
                self.checkpoint("last.pt", metrics)
                last_save = time.monotonic()
        self.checkpoint("last.pt", metrics)
        bar.close()
        log.close()
        return metrics


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(data))
    return out


def _tupled(data: Mapping[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    fields["curriculum"] = [tuple(x) for x in fields.get("curriculum", [])]
    return fields


_OVERRIDE_FIELDS = (
    "max_steps",
    "lr",
    "min_lr",
    "threads",
    "eval_every",
    "checkpoint_every_s",
    "batch_size",
)


def _overrides(config: TrainConfig) -> dict[str, Any]:
    """On resume, only explicitly given schedule knobs replace the checkpoint's config."""
    return {
        k: getattr(config, k)
        for k in _OVERRIDE_FIELDS
        if getattr(config, k) != getattr(TrainConfig.for_kind(config.kind), k)
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train a CRNN line recogniser on synthetic lines.")
    add_arguments(parser)
    run_from_args(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=("numeric",), default="numeric")
    parser.add_argument("--out", default=None, help="run directory (default recognition/runs/KIND)")
    parser.add_argument(
        "--resume", action="store_true", help="continue from OUT/last.pt if present"
    )
    parser.add_argument(
        "--resume-from",
        default=None,
        help="continue from this checkpoint (e.g. the committed recognition/checkpoints/*.pt)",
    )
    parser.add_argument("--init-from", default=None, help="start weights from this checkpoint")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many more steps")
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (when a GPU is lent)")


def run_from_args(args: argparse.Namespace) -> dict[str, float]:
    overrides = {
        k: v
        for k, v in {
            "max_steps": args.max_steps,
            "lr": args.lr,
            "batch_size": args.batch_size,
            "threads": args.threads,
        }.items()
        if v is not None
    }
    config = TrainConfig.for_kind(args.kind, **overrides)
    out = Path(args.out or Path(__file__).resolve().parents[1] / "runs" / args.kind)
    resume = out / "last.pt" if args.resume and (out / "last.pt").exists() else None
    if getattr(args, "resume_from", None) and resume is None:
        resume = Path(args.resume_from)
    trainer = Trainer(
        config,
        out,
        device=args.device,
        resume=resume,
        init_from=Path(args.init_from) if args.init_from else None,
    )
    return trainer.run(args.steps)


if __name__ == "__main__":
    main()
