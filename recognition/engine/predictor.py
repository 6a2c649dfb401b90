"""A CRNN checkpoint read by torch: what training, evaluation and shipping use."""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import torch

from .checkpoint import Checkpoint, load_checkpoint
from .crnn import CRNN
from .crnn_reader import CrnnLineReader
from .preprocess import LineArray

log = logging.getLogger(__name__)


class Predictor(CrnnLineReader):
    """A CRNN checkpoint run by torch (training, evaluation, shipping; serving uses ONNX)."""

    def __init__(
        self, ckpt: Checkpoint, *, threads: int | None = None, batch_size: int = 64
    ) -> None:
        super().__init__(
            charset=ckpt.charset,
            kind=ckpt.kind,
            sha256=ckpt.sha256,
            temperature=ckpt.temperature,
            batch_size=batch_size,
        )
        self.ckpt = ckpt
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

    def _logits(self, batch: LineArray) -> npt.NDArray[np.float32]:
        with self._lock, torch.inference_mode():
            return np.asarray(self.model(torch.from_numpy(batch)).float().numpy(), np.float32)


@cache
def load(path: str, threads: int | None = None) -> Predictor:
    """The process-wide predictor for a checkpoint path (loaded on first use)."""
    return Predictor.from_file(path, threads=threads)
