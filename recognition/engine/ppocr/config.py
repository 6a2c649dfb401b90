"""Architecture of the PP-OCRv6 recognisers as plain data, stored inside every checkpoint.

Small: PPLCNetV4 (a branch stem and depthwise "LCNet" blocks, height 48 → 3 by strides, then a 3×2
average pool to one row), a light SVTR neck (two global-attention blocks) and a linear CTC head.
Tiny: the same kind of blocks behind a plain two-conv stem, a convolutional neck (a 1×k depthwise
and a 1×1 conv, each with batch norm and hard-swish) and a two-layer linear head. The backbone is
kept in its re-parameterised form, as PaddleOCR publishes it: each block's depthwise branches and
batch norms are already folded into one convolution with a bias.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

SMALL = "PP-OCRv6_rec_small"
TINY = "PP-OCRv6_rec_tiny"
STEMS = ("branch", "plain")
NECKS = ("svtr", "conv")


@dataclass(frozen=True)
class BlockSpec:
    """One LCNetV4 block: depthwise ``kernel`` conv (with ``stride``), optional squeeze-excite, then
    a 1×1 expand (× the config's expand ratio) and a 1×1 projection to ``out_channels``."""

    kernel: int
    in_channels: int
    out_channels: int
    stride: tuple[int, int] = (1, 1)
    se: bool = False

    @property
    def residual(self) -> bool:
        return self.in_channels == self.out_channels and self.stride == (1, 1)

    def to_list(self) -> list[Any]:
        return [self.kernel, self.in_channels, self.out_channels, list(self.stride), self.se]

    @classmethod
    def from_list(cls, row: list[Any] | tuple[Any, ...]) -> BlockSpec:
        kernel, cin, cout, stride, se = row
        sh, sw = (stride, stride) if isinstance(stride, int) else stride
        return cls(int(kernel), int(cin), int(cout), (int(sh), int(sw)), bool(se))


@dataclass(frozen=True)
class PPRecConfig:
    name: str
    num_classes: int
    stem_channels: tuple[int, int]  # (branch width, output width)
    stages: tuple[tuple[BlockSpec, ...], ...]
    expand_ratio: int = 2
    stem: Literal["branch", "plain"] = "branch"  # small's branch stem, or tiny's strided convs
    neck: Literal["svtr", "conv"] = "svtr"  # small's attention neck, or tiny's convolutional one
    head_hidden: int = 0  # tiny's head is two linear layers (features → head_hidden → classes)
    neck_dims: int = 120
    neck_depth: int = 2
    neck_heads: int = 8
    neck_mlp_ratio: float = 2.0
    neck_local_kernel: int = 7
    neck_norm_eps: float = 1e-5
    neck_final_norm_eps: float = 1e-6
    # PaddleOCR trains the neck with these; they do nothing in eval mode.
    dropout: float = 0.1
    attention_dropout: float = 0.1
    input_height: int = 48

    def __post_init__(self) -> None:
        if self.stem not in STEMS or self.neck not in NECKS:
            raise ValueError(f"unknown stem {self.stem!r} or neck {self.neck!r}")
        if self.neck == "svtr" and self.neck_dims % self.neck_heads:
            raise ValueError(f"neck_dims {self.neck_dims} not divisible by {self.neck_heads} heads")
        if not self.stages or not any(self.stages):
            raise ValueError("the backbone needs at least one block")
        width = self.stem_channels[1]
        for block in (b for stage in self.stages for b in stage):
            if block.in_channels != width:
                raise ValueError(
                    f"block {block} expects {block.in_channels} channels, gets {width}"
                )
            width = block.out_channels
        if self.neck == "conv" and self.neck_dims != width:
            raise ValueError(f"the convolutional neck keeps the backbone's {width} channels")

    @property
    def feature_channels(self) -> int:
        return [b for stage in self.stages for b in stage][-1].out_channels

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "num_classes": self.num_classes,
            "stem_channels": list(self.stem_channels),
            "stages": [[b.to_list() for b in stage] for stage in self.stages],
            "expand_ratio": self.expand_ratio,
            "stem": self.stem,
            "neck": self.neck,
            "head_hidden": self.head_hidden,
            "neck_dims": self.neck_dims,
            "neck_depth": self.neck_depth,
            "neck_heads": self.neck_heads,
            "neck_mlp_ratio": self.neck_mlp_ratio,
            "neck_local_kernel": self.neck_local_kernel,
            "neck_norm_eps": self.neck_norm_eps,
            "neck_final_norm_eps": self.neck_final_norm_eps,
            "dropout": self.dropout,
            "attention_dropout": self.attention_dropout,
            "input_height": self.input_height,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PPRecConfig:
        data = dict(data)
        mid, out = data.pop("stem_channels")
        stages = tuple(
            tuple(BlockSpec.from_list(row) for row in stage) for stage in data.pop("stages")
        )
        return cls(stem_channels=(int(mid), int(out)), stages=stages, **data)


def _blocks(*rows: tuple[int, int, int, int | tuple[int, int], bool]) -> tuple[BlockSpec, ...]:
    return tuple(BlockSpec.from_list(row) for row in rows)


def pp_ocrv6_rec_small(num_classes: int = 18710) -> PPRecConfig:
    """PP-OCRv6 small: 96 → 192 → 384 channels, neck 120 wide; 18,708 characters + space + blank."""
    half = (2, 1)  # halve the height, keep every column
    return PPRecConfig(
        name=SMALL,
        num_classes=num_classes,
        stem_channels=(48, 96),
        stages=(
            _blocks((3, 96, 96, 1, True)),
            _blocks((3, 96, 96, 1, False), (3, 96, 96, 1, False)),
            _blocks(
                (3, 96, 192, half, False),
                (3, 192, 192, 1, True),
                (3, 192, 192, 1, False),
                (3, 192, 192, 1, True),
                (3, 192, 192, 1, False),
                (3, 192, 192, 1, True),
                (3, 192, 192, 1, False),
            ),
            _blocks(
                (3, 192, 384, half, False),
                (3, 384, 384, 1, True),
                (3, 384, 384, 1, False),
            ),
        ),
    )


def pp_ocrv6_rec_tiny(num_classes: int = 6906) -> PPRecConfig:
    """PP-OCRv6 tiny: 48 → 96 → 160 channels, convolutional neck, head 160 → 80 → classes;
    6,904 characters + space + blank."""
    half = (2, 1)
    return PPRecConfig(
        name=TINY,
        num_classes=num_classes,
        stem_channels=(24, 48),
        stages=(
            _blocks((3, 48, 48, 1, True), (3, 48, 48, 1, False), (3, 48, 96, half, False)),
            _blocks((3, 96, 96, 1, True), (3, 96, 96, 1, False), (3, 96, 160, half, False)),
            _blocks((3, 160, 160, 1, True), (3, 160, 160, 1, False), (3, 160, 160, 1, False)),
        ),
        stem="plain",
        neck="conv",
        head_hidden=80,
        neck_dims=160,
        neck_local_kernel=5,
    )


ARCHITECTURES: dict[str, Callable[[int], PPRecConfig]] = {
    SMALL: pp_ocrv6_rec_small,
    TINY: pp_ocrv6_rec_tiny,
}
