"""Line recognisers behind one interface for the benchmarks: ours and the peers banks deploy.

Each engine is ``recognize(images) -> list[Decoded]`` on grayscale line crops, so the peer benchmark
and the end-to-end benchmark feed every engine exactly the same pixels. Peers are benchmark-only
(installed into ``.venv-bench`` by ``scripts/bootstrap.sh --bench``); the app never imports this
module. Every engine runs on one thread, the way one worker process of the app does.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from recognition.engine.ctc import Decoded

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "recognition" / "weights"

Engine = Callable[[Sequence[np.ndarray]], list[Decoded]]
ENGINES = ("ours", "tesseract", "rapidocr")

_SPACE_NEXT_TO_WIDE = re.compile(r"\s+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])\s+")


def tidy_spaces(text: str) -> str:
    """Collapse runs of spaces and drop those beside a CJK character.

    Tesseract puts a space between every pair of Chinese characters and PP-OCR sometimes drops or
    adds one; a person reads them all the same, so every engine's output and the truth are compared
    after this one rule.
    """
    return _SPACE_NEXT_TO_WIDE.sub("", " ".join(text.split()))


def ours(kind: str = "general", weights: Path | None = None) -> Engine:
    from recognition.engine.predictor import Predictor

    predictor = Predictor.from_file(weights or WEIGHTS / f"{kind}.pt", threads=1)
    return lambda images: predictor.recognize(list(images))


def tesseract(langs: str = "chi_sim+eng") -> Engine:
    """Tesseract 5 (LSTM engine) in single-line mode, one process per batch of lines.

    The crops go through one ``tesseract`` run via a list file, so the language models load once per
    batch instead of once per line; confidence is the lowest word confidence on the line.
    """
    if subprocess.run(["tesseract", "--version"], capture_output=True).returncode != 0:
        raise RuntimeError("tesseract is not installed: run scripts/bootstrap.sh --bench")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def recognize(images: Sequence[np.ndarray]) -> list[Decoded]:
        if not images:
            return []
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, image in enumerate(images):
                path = Path(tmp) / f"{i:06d}.png"
                # Tesseract wants a white margin around the text it reads.
                cv2.imwrite(
                    str(path),
                    cv2.copyMakeBorder(image, 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255),
                )
                paths.append(str(path))
            listing = Path(tmp) / "lines.txt"
            listing.write_text("\n".join(paths) + "\n")
            out = subprocess.run(
                [
                    "tesseract",
                    str(listing),
                    "stdout",
                    "-l",
                    langs,
                    "--oem",
                    "1",
                    "--psm",
                    "7",
                    "tsv",
                ],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout
        words: list[list[tuple[str, float]]] = [[] for _ in images]
        for row in out.splitlines()[1:]:
            cols = row.split("\t")
            if len(cols) < 12 or cols[0] != "5":
                continue
            page, conf, text = int(cols[1]) - 1, float(cols[10]), cols[11]
            if text.strip() and 0 <= page < len(words):
                words[page].append((text, conf))
        return [
            Decoded(" ".join(t for t, _ in ws), min(c for _, c in ws) / 100.0 if ws else 0.0)
            for ws in words
        ]

    return recognize


def rapidocr() -> Engine:
    """PP-OCRv4 recognition (the ONNX model inside the rapidocr-onnxruntime wheel), no detection."""
    import rapidocr_onnxruntime
    from rapidocr_onnxruntime.ch_ppocr_rec import TextRecognizer
    from rapidocr_onnxruntime.utils import read_yaml, update_model_path

    config = update_model_path(
        read_yaml(Path(rapidocr_onnxruntime.__file__).parent / "config.yaml")
    )
    rec = config["Rec"]
    rec["intra_op_num_threads"] = rec["inter_op_num_threads"] = 1
    recognizer = TextRecognizer(rec)

    def recognize(images: Sequence[np.ndarray]) -> list[Decoded]:
        if not images:
            return []
        bgr = [cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) for image in images]
        results, _ = recognizer(bgr)
        return [Decoded(str(text), float(score)) for text, score, *_ in results]

    return recognize


def load(name: str) -> Engine:
    factories = {"ours": ours, "tesseract": tesseract, "rapidocr": rapidocr}
    if name not in factories:
        raise ValueError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")
    return factories[name]()
