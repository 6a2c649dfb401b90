"""A CRNN checkpoint → one self-describing ONNX file that :class:`crnn_reader.CrnnOnnxReader`
serves without torch (charset, kind, calibration temperature and provenance in its metadata)."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path
from typing import IO

import onnx
import torch

from .checkpoint import Checkpoint
from .crnn_reader import ONNX_FORMAT
from .files import atomic_write, file_sha256
from .preprocess import LINE_HEIGHT

OPSET = 17


def export_crnn_onnx(ckpt: Checkpoint, path: str | Path) -> str:
    """Write ``ckpt``'s model to ``path`` (dynamic batch and width) atomically; its sha256."""
    model = ckpt.build_model().float().eval()
    example = torch.zeros(2, 1, LINE_HEIGHT, 128)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            f"{tmp}/model.onnx",
            dynamo=False,
            opset_version=OPSET,
            input_names=["images"],
            output_names=["logits"],
            dynamic_axes={"images": {0: "batch", 3: "width"}, "logits": {0: "frames", 1: "batch"}},
            do_constant_folding=True,
        )
        proto = onnx.load(f"{tmp}/model.onnx")
    meta = {
        "format": ONNX_FORMAT,
        "kind": ckpt.kind,
        "charset": json.dumps(ckpt.charset.chars, ensure_ascii=False),
        "temperature": repr(ckpt.temperature),
        "source_sha256": ckpt.sha256,
        "arch": json.dumps(ckpt.arch.to_dict()),
    }
    del proto.metadata_props[:]
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=value)
    proto.producer_name = "ocr_review"
    proto.doc_string = f"ocr_review {ckpt.kind} CRNN text-line recogniser (our own weights)"
    onnx.checker.check_model(proto)

    def write(fh: IO[bytes]) -> None:
        fh.write(proto.SerializeToString())

    return file_sha256(atomic_write(path, write))
