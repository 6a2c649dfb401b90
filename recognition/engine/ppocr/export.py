"""``PPRecNet`` → a single self-describing ONNX file for ``reader.OnnxLineReader``.

Uses torch's TorchScript-based exporter (``dynamo=False``): the dynamo exporter needs
``onnxscript``, which this project does not install, and the graph here (convs, pooling, attention)
is plain enough for the tracer. Batch and width stay dynamic; the output is logits (T, N, C) like
the module's. The model's ``info.ModelInfo`` is written into the file's ``metadata_props``.
"""

from __future__ import annotations

import copy
import tempfile
import warnings
from pathlib import Path

import onnx
import torch

from .info import ModelInfo
from .network import PPRecNet
from .onnx_file import save_described

OPSET = 17
INPUT = "x"
OUTPUT = "logits"


def export_onnx(model: PPRecNet, info: ModelInfo, path: str | Path, *, opset: int = OPSET) -> str:
    """Write ``model`` (in eval mode) to ``path`` atomically; returns the file's sha256."""
    net = copy.deepcopy(model).float().eval()
    example = torch.zeros(2, 3, net.config.input_height, 320)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        # A strided Slice the tracer cannot fold (ONNX Runtime folds it at load time), and the
        # input-height check, which holds for every line of the fixed height the graph serves.
        warnings.filterwarnings("ignore", message="Constant folding", category=UserWarning)
        warnings.filterwarnings("ignore", message="Converting a tensor to a Python boolean")
        torch.onnx.export(
            net,
            (example,),
            f"{tmp}/model.onnx",
            dynamo=False,
            opset_version=opset,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch", 3: "width"}, OUTPUT: {0: "frames", 1: "batch"}},
            do_constant_folding=True,
        )
        proto = onnx.load(f"{tmp}/model.onnx")
    proto.producer_name = "ocr_review"
    onnx.checker.check_model(proto)
    return save_described(proto, info, path)
