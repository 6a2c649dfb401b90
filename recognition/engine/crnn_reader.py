"""Reading lines with a CRNN, whatever runs it: width buckets, batches, bad crops → ``EMPTY``.

:class:`CrnnLineReader` holds everything but the forward pass; :class:`predictor.Predictor` runs
it with torch (training, evaluation of a checkpoint) and :class:`CrnnOnnxReader` with ONNX Runtime
(serving: no torch in web or worker processes). Both decode the same logits the same way.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from .charset import Charset
from .ctc import EMPTY, Decoded, KeepScores, decode_batch
from .files import file_sha256
from .preprocess import ImageError, LineArray, bucket_width, pad_batch, prepare_line

log = logging.getLogger(__name__)

WIDTH_STRIDE = 4  # one output frame per 4 px of input width (crnn.CRNN's conv stack)
# Pixels of width (batch size × padded width) per forward pass: the first convolutions hold 64
# channels at the input's full 32 × W, so a batch of 64 wide lines needs hundreds of MB. Reading
# 2,605 sample lines at once peaked at 458 MB without a cap, at 218 MB with this one, at the same
# speed and with the same readings. A line wider than this is read alone.
MAX_BATCH_PIXELS = 4096
ONNX_FORMAT = "ocr_review.crnn/1"  # metadata "format" of a CRNN exported to ONNX


def frames_for(widths: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Frames produced for input images of the given (unpadded) pixel widths."""
    return np.maximum(widths // WIDTH_STRIDE, 1)


class CrnnLineReader:
    """Reads text lines. Thread-safe where ``_logits`` is; one instance per process is enough."""

    def __init__(
        self, *, charset: Charset, kind: str, sha256: str, temperature: float, batch_size: int
    ) -> None:
        self.charset = charset
        self.kind = kind
        self.sha256 = sha256
        self.temperature = temperature
        self.batch_size = batch_size

    def _logits(self, batch: LineArray) -> npt.NDArray[np.float32]:
        """(T, N, C) logits of a padded (N, 1, 32, W) batch."""
        raise NotImplementedError

    def recognize(
        self, images: Sequence[npt.NDArray[Any]], *, keep_scores: KeepScores = False
    ) -> list[Decoded]:
        """One Decoded per image, in input order, with the scores ``keep_scores`` asks for.

        An image that cannot be read (empty, 1×1, not an image array) yields ``Decoded("", 0.0)``
        and a log line instead of an exception, so one bad crop never fails a whole document.
        """
        results: list[Decoded] = [EMPTY] * len(images)
        buckets: dict[int, list[tuple[int, LineArray]]] = defaultdict(list)
        for i, image in enumerate(images):
            try:
                line = prepare_line(image)
            except ImageError as exc:
                log.info("line %d not readable: %s", i, exc)
                continue
            buckets[bucket_width(line.shape[1])].append((i, line))
        for width, items in sorted(buckets.items()):
            step = max(1, min(self.batch_size, MAX_BATCH_PIXELS // width))
            for start in range(0, len(items), step):
                chunk = items[start : start + step]
                batch = [line for _, line in chunk]
                for (i, _), decoded in zip(chunk, self._run(batch, width, keep_scores)):
                    results[i] = decoded
        return results

    def recognize_one(self, image: npt.NDArray[Any]) -> Decoded:
        return self.recognize([image])[0]

    def _run(self, lines: list[LineArray], width: int, keep_scores: KeepScores) -> list[Decoded]:
        logits = self._logits(pad_batch(lines, width))
        lengths = frames_for(np.array([line.shape[1] for line in lines], dtype=np.int64))
        return decode_batch(
            logits,
            lengths.tolist(),
            self.charset,
            keep_scores=keep_scores,
            temperature=self.temperature,
        )


class CrnnOnnxReader(CrnnLineReader):
    """A CRNN exported by :func:`crnn_export.export_crnn_onnx`, run by ONNX Runtime."""

    def __init__(self, path: str | Path, *, threads: int = 1, batch_size: int = 64) -> None:
        from .onnx_session import serving_session

        cv2.setNumThreads(threads)
        self.session = serving_session(path, threads=threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if meta.get("format") != ONNX_FORMAT:
            raise ValueError(f"{path} is not a CRNN exported by this engine ({ONNX_FORMAT})")
        super().__init__(
            charset=Charset(json.loads(meta["charset"])),
            kind=meta["kind"],
            sha256=file_sha256(path),
            temperature=float(meta.get("temperature", "1.0")),
            batch_size=batch_size,
        )
        self._input = self.session.get_inputs()[0].name

    def _logits(self, batch: LineArray) -> npt.NDArray[np.float32]:
        (logits,) = self.session.run(None, {self._input: batch})
        return np.asarray(logits, dtype=np.float32)
