"""Reading line sets with a ``PPRecNet`` in torch, scoring them, and fitting the confidence
temperature (pure; what the fine-tuning loop and its command measure with).

Lines are read exactly as ``reader.OnnxLineReader`` reads them: each padded to its own bucket
width, only equal widths in one batch, decoded on the frames that see the line, output folded.
Scores compare folded texts (``metrics.Score``); ``exact_tidy`` also ignores spaces beside CJK
characters and ``:;,()``, where PaddleOCR and the truth often disagree on a space nobody sees.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from ..calibration import TEMPERATURES, Fit, brier, confidences, expected_calibration_error
from ..charset import fold
from ..ctc import Decoded
from ..metrics import Score, comparable
from .checkpoint import PPRecCheckpoint
from .decode import decode_lines
from .info import ModelInfo
from .network import PPRecNet
from .preprocess import (
    bucket_width,
    content_frames,
    line_size,
    pad_batch,
    prepare_line,
    resized_width,
)

# Pixels (lines × padded width) per forward pass: the output is 18,710 floats a frame.
MAX_BATCH_PIXELS = 8192
_LOOSE = r"[^\x00-\x7f]|[:;,()]"
_SPACE_NEXT_TO_WIDE = re.compile(rf"\s+(?={_LOOSE})|(?<={_LOOSE})\s+")


def tidy(text: str) -> str:
    """Folded, one space per run, none beside a CJK character or ``:;,()``."""
    return _SPACE_NEXT_TO_WIDE.sub("", " ".join(fold(text).split()))


def width_groups(images: Sequence[npt.NDArray[Any]], info: ModelInfo) -> dict[int, list[int]]:
    """Indices of the images by the padded width they are read at."""
    pre = info.preprocessing
    groups: dict[int, list[int]] = defaultdict(list)
    for i, image in enumerate(images):
        h, w = line_size(image)
        groups[bucket_width(resized_width(w, h, pre), pre)].append(i)
    return dict(groups)


def forward_logits(
    model: PPRecNet, images: Sequence[npt.NDArray[Any]], info: ModelInfo
) -> list[npt.NDArray[np.float32]]:
    """(frames, classes) logits of each image, cut to the frames that see it; model in eval."""
    was_training = model.training
    model.eval()
    out: list[npt.NDArray[np.float32] | None] = [None] * len(images)
    try:
        for width, indices in sorted(width_groups(images, info).items()):
            step = max(1, MAX_BATCH_PIXELS // width)
            for start in range(0, len(indices), step):
                chunk = indices[start : start + step]
                lines = [prepare_line(images[i], info.preprocessing) for i in chunk]
                with torch.inference_mode():
                    logits = model(torch.from_numpy(pad_batch(lines, width))).numpy()
                for k, (i, line) in enumerate(zip(chunk, lines)):
                    frames = content_frames(line.shape[2], width)
                    out[i] = np.ascontiguousarray(logits[:frames, k])
    finally:
        model.train(was_training)
    return [x for x in out if x is not None]


def read(model: PPRecNet, images: Sequence[npt.NDArray[Any]], info: ModelInfo) -> list[Decoded]:
    decoded: list[Decoded] = []
    for logits in forward_logits(model, images, info):
        decoded += decode_lines(
            logits[:, None, :], [logits.shape[0]], info.charset, temperature=info.temperature
        )
    return decoded


@dataclass(frozen=True)
class LineScore:
    lines: int
    exact: float
    cer: float
    exact_tidy: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "lines": self.lines,
            "exact": round(self.exact, 4),
            "cer": round(self.cer, 5),
            "exact_tidy": round(self.exact_tidy, 4),
        }


def score(
    model: PPRecNet, images: Sequence[npt.NDArray[Any]], texts: Sequence[str], info: ModelInfo
) -> LineScore:
    strict = Score()
    tidy_exact = 0
    for decoded, truth in zip(read(model, images, info), texts):
        strict.add(decoded.text, truth)
        tidy_exact += tidy(decoded.text) == tidy(truth)
    n = max(1, strict.lines)
    return LineScore(strict.lines, strict.exact_rate, strict.cer, tidy_exact / n)


def fit_temperature_streaming(
    model: PPRecNet,
    images: Sequence[npt.NDArray[Any]],
    texts: Sequence[str],
    info: ModelInfo,
    grid: Sequence[float] = TEMPERATURES,
) -> tuple[Fit, float]:
    """``calibration.fit_temperature`` (lowest Brier score, ties closest to 1) without holding
    every line's (frames × 18,710) scores at once; also the calibrated expected calibration error.

    Correctness is exact match of the folded reading, as ``ship_model --calibrate-on`` has it.
    """
    if not images or len(images) != len(texts):
        raise ValueError("need one text per image, and at least one image")
    raw = info.with_changes(temperature=1.0)
    conf = np.zeros((len(images), len(grid)))
    raw_conf = np.zeros(len(images))
    correct = np.zeros(len(images), dtype=bool)
    for i, logits in enumerate(forward_logits(model, images, raw)):
        decoded = decode_lines(logits[:, None, :], [logits.shape[0]], raw.charset)[0]
        correct[i] = comparable(decoded.text) == comparable(texts[i])
        raw_conf[i] = decoded.confidence
        for j, t in enumerate(grid):
            conf[i, j] = confidences([logits], raw.charset, t)[0]
    scores = {t: brier(conf[:, j], correct) for j, t in enumerate(grid)}
    best = min(scores, key=lambda t: (round(scores[t], 9), abs(t - 1.0)))
    ece = expected_calibration_error(
        [float(c) for c in conf[:, list(grid).index(best)]], [bool(c) for c in correct]
    )
    return Fit(best, brier(raw_conf, correct), scores[best], len(images)), ece


def calibrate(
    ckpt: PPRecCheckpoint,
    images: Sequence[npt.NDArray[Any]],
    texts: Sequence[str],
    *,
    fitted_on: str,
) -> tuple[PPRecCheckpoint, Fit]:
    """``ckpt`` with the temperature fitted on a validation split (never the held-out set) in its
    model info (and so in every ONNX file exported from it); works on the base model as well."""
    if fitted_on.rstrip("/").endswith("-heldout"):
        raise ValueError(
            f"{fitted_on} is a held-out evaluation set: fit the temperature on a validation split"
        )
    fit, ece = fit_temperature_streaming(ckpt.build_model(), images, texts, ckpt.info)
    calibration = {**fit.as_dict(), "ece": round(ece, 5), "fitted_on": fitted_on}
    metrics = {**ckpt.metrics, "calibration": calibration}
    info = ckpt.info.with_changes(temperature=fit.temperature)
    calibrated = PPRecCheckpoint(
        ckpt.config, info, ckpt.state_dict, dict(ckpt.train_config), metrics
    )
    return calibrated, fit
