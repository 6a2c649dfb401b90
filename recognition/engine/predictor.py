"""Line recognition with a loaded checkpoint: batching by width, inference mode, clear failures."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy.typing as npt
import torch

from .checkpoint import Checkpoint, load_checkpoint
from .crnn import CRNN, output_lengths
from .ctc import EMPTY, Decoded, decode_batch
from .preprocess import ImageError, LineArray, bucket_width, pad_batch, prepare_line

log = logging.getLogger(__name__)


class Predictor:
    """Reads text lines. Thread-safe; one instance per process is enough (see :func:`load`)."""

    def __init__(
        self, ckpt: Checkpoint, *, threads: int | None = None, batch_size: int = 64
    ) -> None:
        self.ckpt = ckpt
        self.charset = ckpt.charset
        self.kind = ckpt.kind
        self.sha256 = ckpt.sha256
        self.batch_size = batch_size
        self.model: CRNN = ckpt.build_model()
        if threads:
            # One worker process per core is the deployment unit: neither torch nor OpenCV (deskew,
            # line finding) may spread over the other workers' cores.
            torch.set_num_threads(threads)
            cv2.setNumThreads(threads)
        self._lock = threading.Lock()

    @classmethod
    def from_file(
        cls, path: str | Path, *, threads: int | None = None, batch_size: int = 64
    ) -> Predictor:
        return cls(load_checkpoint(path), threads=threads, batch_size=batch_size)

    def recognize(
        self, images: Sequence[npt.NDArray[Any]], *, keep_scores: bool = False
    ) -> list[Decoded]:
        """One Decoded per image, in input order (with its log-probabilities if ``keep_scores``).

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
            for start in range(0, len(items), self.batch_size):
                chunk = items[start : start + self.batch_size]
                batch = [line for _, line in chunk]
                for (i, _), decoded in zip(chunk, self._run(batch, width, keep_scores)):
                    results[i] = decoded
        return results

    def recognize_one(self, image: npt.NDArray[Any]) -> Decoded:
        return self.recognize([image])[0]

    def _run(self, lines: list[LineArray], width: int, keep_scores: bool) -> list[Decoded]:
        batch = torch.from_numpy(pad_batch(lines, width))
        lengths = output_lengths(torch.tensor([line.shape[1] for line in lines]))
        with self._lock, torch.inference_mode():
            logits = self.model(batch).float().numpy()
        return decode_batch(
            logits,
            lengths.numpy(),
            self.charset,
            keep_scores=keep_scores,
            temperature=self.ckpt.temperature,
        )


@cache
def load(path: str, threads: int | None = None) -> Predictor:
    """The process-wide predictor for a checkpoint path (loaded on first use)."""
    return Predictor.from_file(path, threads=threads)
