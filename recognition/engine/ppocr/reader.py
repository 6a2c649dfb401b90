"""Serving PP-OCR recognisers with ONNX Runtime: the same contract as ``predictor.Predictor``.

Imports onnxruntime, numpy and OpenCV only (never torch), so web and worker processes stay light.
The model file describes itself (``info.ModelInfo`` in its metadata); PaddleOCR's own ONNX files,
which carry only their dictionary, are read as well.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from ..charset import Charset
from ..ctc import EMPTY, Decoded, KeepScores
from ..files import file_sha256
from ..onnx_session import serving_session
from ..preprocess import ImageError, LineArray
from .decode import as_logits, decode_lines
from .info import ModelInfo
from .preprocess import (
    bucket_width,
    content_frames,
    line_size,
    pad_batch,
    prepare_line,
    resized_width,
)

log = logging.getLogger(__name__)

# Pixels (batch size × padded width) per inference call: the output alone is 75 kB per frame (18,710
# classes), one frame per 8 px, so wide batches are split to keep a worker's memory flat. Batching
# buys almost nothing on one CPU thread: at 1,024 a worker through the 45 end-to-end bills peaked
# 28 MB lower than at 2,048, in the same time (640: 4 MB lower still). A line wider than this is
# read alone.
MAX_BATCH_PIXELS = 1024


class OnnxLineReader:
    """Reads text lines with an ONNX PP-OCR recogniser. Thread-safe; one per process is enough."""

    def __init__(
        self,
        path: str | Path,
        *,
        threads: int = 1,
        batch_size: int = 32,
        info: ModelInfo | None = None,
        fold_output: bool = True,
    ) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"ONNX model {self.path} does not exist")
        cv2.setNumThreads(threads)
        self.session = serving_session(self.path, threads=threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.info = info or ModelInfo.from_metadata(meta, architecture=self.path.stem)
        self.charset: Charset = self.info.charset
        self.kind = self.info.kind
        self.sha256 = file_sha256(self.path)
        self.batch_size = batch_size
        self.fold_output = fold_output
        self._input = self.session.get_inputs()[0].name
        classes = self.session.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != self.charset.num_classes:
            raise ValueError(
                f"{self.path}: model has {classes} classes, charset {self.charset.num_classes}"
            )

    @property
    def temperature(self) -> float:
        return self.info.temperature

    def recognize(
        self, images: Sequence[npt.NDArray[Any]], *, keep_scores: KeepScores = False
    ) -> list[Decoded]:
        """One Decoded per image, in input order, with the scores ``keep_scores`` asks for.

        An image that cannot be read (empty, 1×1, not an image array) yields ``Decoded("", 0.0)``
        and a log line instead of an exception, so one bad crop never fails a whole document.
        """
        pre = self.info.preprocessing
        results: list[Decoded] = [EMPTY] * len(images)
        buckets: dict[int, list[int]] = defaultdict(list)
        for i, image in enumerate(images):
            try:
                h, w = line_size(image)
            except ImageError as exc:
                log.info("line %d not readable: %s", i, exc)
                continue
            buckets[bucket_width(resized_width(w, h, pre), pre)].append(i)
        for width, indices in sorted(buckets.items()):
            # Lines are prepared one batch at a time: a page's crops as float32 would need
            # hundreds of MB at once.
            step = max(1, min(self.batch_size, MAX_BATCH_PIXELS // width))
            for start in range(0, len(indices), step):
                chunk = indices[start : start + step]
                lines = [prepare_line(images[i], pre) for i in chunk]
                for i, decoded in zip(chunk, self._run(lines, width, keep_scores)):
                    results[i] = decoded
        return results

    def recognize_one(self, image: npt.NDArray[Any]) -> Decoded:
        return self.recognize([image])[0]

    def _run(self, lines: list[LineArray], width: int, keep_scores: KeepScores) -> list[Decoded]:
        (scores,) = self.session.run(None, {self._input: pad_batch(lines, width)})
        logits = as_logits(np.asarray(scores, dtype=np.float32), self.info.output)
        if self.info.layout == "NTC":
            logits = logits.transpose(1, 0, 2)
        lengths = [content_frames(line.shape[2], width) for line in lines]
        return decode_lines(
            logits,
            lengths,
            self.charset,
            temperature=self.temperature,
            keep_scores=keep_scores,
            fold_output=self.fold_output,
        )


@cache
def load(path: str, threads: int = 1) -> OnnxLineReader:
    """The process-wide reader for an ONNX file (loaded on first use)."""
    return OnnxLineReader(path, threads=threads)
