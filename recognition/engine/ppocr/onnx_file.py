"""An ONNX recogniser saved as one self-describing file: its :class:`~.info.ModelInfo` in the
metadata (replacing whatever the graph carried), a one-line description, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import onnx

from ..files import atomic_write, file_sha256
from .info import ModelInfo


def save_described(proto: onnx.ModelProto, info: ModelInfo, path: str | Path) -> str:
    """Write ``proto`` with ``info`` to ``path``; returns the file's sha256."""
    del proto.metadata_props[:]
    for key, value in info.to_metadata().items():
        proto.metadata_props.add(key=key, value=value)
    proto.doc_string = (
        f"{info.architecture} text-line recogniser; weights: {info.provenance.attribution} "
        f"({info.provenance.licence}), {'modified' if info.provenance.modified else 'unmodified'}"
    )

    def write(fh: IO[bytes]) -> None:
        fh.write(proto.SerializeToString())

    return file_sha256(atomic_write(path, write))
