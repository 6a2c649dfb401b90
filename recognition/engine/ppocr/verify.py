"""Does our torch module compute what an ONNX file computes? Probabilities and texts, line by line.

Used after conversion (torch vs PaddleOCR's original ONNX) and after export (torch vs our ONNX).
Each line is run alone, padded to its own bucket width, exactly as ``reader.OnnxLineReader`` would.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import torch

from .. import fonts
from ..synth import render_text
from .decode import as_logits, decode_lines
from .info import ModelInfo
from .network import PPRecNet
from .preprocess import DEFAULT, bucket_width, content_frames, pad_batch, prepare_line

TOLERANCE = 1e-4
SAMPLE_TEXTS = (
    "发票号码：25417000000256819006",
    "开票日期：2025年11月08日",
    "名称：武汉物图科技有限公司",
    "价税合计（大写）壹佰贰拾叁元整",
    "TOTAL RM 123.45",
    "Account 6222 0200 1234 5678",
)


class EquivalenceError(AssertionError):
    """The two models disagree beyond the tolerance or read a line differently."""


@dataclass(frozen=True)
class Equivalence:
    lines: int
    max_prob_diff: float
    mismatches: tuple[tuple[int, str, str], ...]  # (line, torch text, ONNX text)

    def ok(self, tolerance: float = TOLERANCE) -> bool:
        return self.lines > 0 and self.max_prob_diff <= tolerance and not self.mismatches

    def check(self, tolerance: float = TOLERANCE) -> None:
        if not self.ok(tolerance):
            raise EquivalenceError(
                f"{self.lines} lines: max probability difference {self.max_prob_diff:.2e} "
                f"(tolerance {tolerance:.0e}), texts that differ: {list(self.mismatches[:5])}"
            )


def session(path: str | Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _softmax_ntc(logits: npt.NDArray[np.float32], layout: str) -> npt.NDArray[np.float32]:
    ntc = logits.transpose(1, 0, 2) if layout == "TNC" else logits
    z = ntc - ntc.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=-1, keepdims=True), dtype=np.float32)


def _text(probs_ntc: npt.NDArray[np.float32], lengths: list[int], info: ModelInfo) -> str:
    logits = as_logits(probs_ntc, "probabilities").transpose(1, 0, 2)
    return decode_lines(logits, lengths, info.charset)[0].text


def compare_with_onnx(
    model: PPRecNet,
    onnx_path: str | Path,
    images: Sequence[npt.NDArray[Any]],
    *,
    threads: int = 1,
    info: ModelInfo | None = None,
) -> Equivalence:
    """Run every image through ``model`` and the ONNX file; compare probabilities and texts.
    ``info`` describes a file whose metadata does not (a published one without its dictionary)."""
    sess = session(onnx_path, threads)
    if info is None:
        info = ModelInfo.from_metadata(sess.get_modelmeta().custom_metadata_map)
    input_name = sess.get_inputs()[0].name
    was_training = model.training
    model.eval()
    worst, mismatches = 0.0, []
    try:
        for i, image in enumerate(images):
            line = prepare_line(image, DEFAULT)
            width = bucket_width(line.shape[2], DEFAULT)
            batch = pad_batch([line], width)
            with torch.inference_mode():
                ours = _softmax_ntc(model(torch.from_numpy(batch)).numpy(), "TNC")
            (raw,) = sess.run(None, {input_name: batch})
            theirs = np.asarray(raw, dtype=np.float32)
            if info.output == "logits":
                theirs = _softmax_ntc(theirs, info.layout)
            elif info.layout == "TNC":
                theirs = theirs.transpose(1, 0, 2)
            if ours.shape != theirs.shape:
                raise EquivalenceError(f"line {i}: shapes {ours.shape} and {theirs.shape}")
            worst = max(worst, float(np.abs(ours - theirs).max()))
            lengths = [content_frames(line.shape[2], width)]
            texts = [_text(p, lengths, info) for p in (ours, theirs)]
            if texts[0] != texts[1]:
                mismatches.append((i, texts[0], texts[1]))
    finally:
        model.train(was_training)
    return Equivalence(len(images), worst, tuple(mismatches))


def generated_lines(n: int = 8, seed: int = 0) -> list[npt.NDArray[np.uint8]]:
    """Bill-like text lines drawn with an installed CJK font (OpenCV's Latin font without one),
    plus one of noise: inputs for a quick check when no real crops are at hand."""
    rng = random.Random(seed)
    cjk = fonts.available(held_out=False, cjk=True)
    out: list[npt.NDArray[np.uint8]] = []
    for k in range(max(0, n - 1)):
        text = SAMPLE_TEXTS[k % len(SAMPLE_TEXTS)]
        if cjk:
            out.append(render_text(text, cjk[k % len(cjk)], rng))
            continue
        ascii_text = text.encode("ascii", "ignore").decode() or "12345"
        (w, h), _ = cv2.getTextSize(ascii_text, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2)
        img = np.full((h + 20, w + 20), 235, np.uint8)
        cv2.putText(img, ascii_text, (10, h + 8), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 20, 2)
        out.append(img)
    if n > 0:
        out.append(np.random.default_rng(seed).integers(0, 256, (40, 300, 3), dtype=np.uint8))
    return out
