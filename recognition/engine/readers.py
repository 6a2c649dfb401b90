"""One interface for every line recogniser we serve, and one way to open a model file.

``.onnx`` files (PP-OCR, served by ONNX Runtime) open without importing torch; ``.pt`` files (the
CRNN checkpoints) import it on first use only. Web and worker processes that serve ONNX models
therefore never load torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy.typing as npt

from .charset import Charset
from .ctc import Decoded, KeepScores


class LineReader(Protocol):
    """Reads text lines: one :class:`Decoded` per image, bad crops as ``ctc.EMPTY``."""

    kind: str
    sha256: str
    charset: Charset

    def recognize(
        self, images: Sequence[npt.NDArray[Any]], *, keep_scores: KeepScores = False
    ) -> list[Decoded]: ...

    def recognize_one(self, image: npt.NDArray[Any]) -> Decoded: ...


def open_reader(path: str | Path, *, threads: int = 1) -> LineReader:
    """The reader for a model file, by its suffix: ``.onnx`` → ONNX Runtime, else a CRNN
    checkpoint (torch). Raises CheckpointError / ModelInfoError / OSError for a bad file."""
    path = Path(path)
    if path.suffix == ".onnx":
        from .crnn_reader import ONNX_FORMAT, CrnnOnnxReader
        from .ppocr.reader import OnnxLineReader

        if onnx_metadata(path).get("format") == ONNX_FORMAT:
            return CrnnOnnxReader(path, threads=threads)
        return OnnxLineReader(path, threads=threads)
    from .predictor import Predictor

    return Predictor.from_file(path, threads=threads)


__all__ = ["LineReader", "open_reader"]


def onnx_metadata(path: str | Path) -> dict[str, str]:
    """The metadata of an ONNX file (ours say which reader serves them and what they read)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def model_kind(path: str | Path) -> str:
    """The kind (general, numeric) a model file says it reads; ValueError if it is not ours."""
    path = Path(path)
    if path.suffix == ".onnx":
        from .crnn_reader import ONNX_FORMAT
        from .ppocr.info import ModelInfo

        try:
            meta = onnx_metadata(path)
        except Exception as exc:  # onnx raises its own types for a damaged file
            raise ValueError(f"{path} is not a readable ONNX model: {exc}") from exc
        if meta.get("format") == ONNX_FORMAT:
            return meta["kind"]
        return ModelInfo.from_metadata(meta, architecture=path.stem).kind
    from .checkpoint import load_checkpoint

    return load_checkpoint(path).kind
