"""One interface for every line recogniser we serve, and one way to open a model file.

``.onnx`` files (PP-OCR, served by ONNX Runtime) open without importing torch; ``.pt`` files (the
CRNN checkpoints) import it on first use only. Web and worker processes that serve ONNX models
therefore never load torch.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO, Protocol

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
    """The metadata of an ONNX file (ours say which reader serves them and what they read).

    Read straight from the file's protobuf encoding: only the top-level fields' keys and the
    metadata entries are read, every other field (the graph and its weights) is skipped over.
    Loading the model with ``onnx`` for this raised a process's peak by 18 MB for the import and
    41 MB for the whole 21 MB graph as Python objects; a worker's peak over the end-to-end demo
    bills fell from 294 to 283 MB without it. ValueError for a damaged file.
    """
    out: dict[str, str] = {}
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        while fh.tell() < size:
            number, wire = _field_key(fh)
            if wire == _VARINT:
                _varint(fh)
                continue
            length = {_FIXED64: 8, _FIXED32: 4}.get(wire) or (
                _varint(fh) if wire == _LENGTH_DELIMITED else -1
            )
            if length < 0 or fh.tell() + length > size:
                raise ValueError(f"{path}: not an ONNX model (bad field {number} at {fh.tell()})")
            if number == _METADATA_PROPS and wire == _LENGTH_DELIMITED:
                entry = io.BytesIO(fh.read(length))
                strings: dict[int, str] = {}
                while entry.tell() < length:
                    field, kind = _field_key(entry)
                    if kind != _LENGTH_DELIMITED:
                        raise ValueError(f"{path}: not an ONNX model (bad metadata entry)")
                    size_of = _varint(entry)
                    value = entry.read(size_of)
                    if len(value) != size_of:
                        raise ValueError(f"{path}: not an ONNX model (bad metadata entry)")
                    strings[field] = value.decode("utf-8")
                out[strings.get(1, "")] = strings.get(2, "")
            else:
                fh.seek(length, io.SEEK_CUR)
    return out


# Protocol-buffer wire types, and ModelProto's field number of metadata_props (onnx.proto).
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5
_METADATA_PROPS = 14


def _varint(fh: BinaryIO) -> int:
    value = shift = 0
    while True:
        byte = fh.read(1)
        if not byte or shift > 63:
            raise ValueError("not an ONNX model (truncated)")
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7


def _field_key(fh: BinaryIO) -> tuple[int, int]:
    key = _varint(fh)
    return key >> 3, key & 7


def model_kind(path: str | Path) -> str:
    """The kind (general, numeric) a model file says it reads; ValueError if it is not ours."""
    path = Path(path)
    if path.suffix == ".onnx":
        from .crnn_reader import ONNX_FORMAT
        from .ppocr.info import ModelInfo

        try:
            meta = onnx_metadata(path)
        except (ValueError, OSError) as exc:  # UnicodeDecodeError is a ValueError
            raise ValueError(f"{path} is not a readable ONNX model: {exc}") from exc
        if meta.get("format") == ONNX_FORMAT:
            return meta["kind"]
        return ModelInfo.from_metadata(meta, architecture=path.stem).kind
    from .checkpoint import load_checkpoint

    return load_checkpoint(path).kind
