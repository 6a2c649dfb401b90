"""The PP-OCRv6 recognisers (small and tiny) as trainable torch modules (architecture in
``config.PPRecConfig``).

Input (N, 3, 48, W) float32 from ``ppocr.preprocess``; output logits (T, N, C) with T = W / 8 for
widths that are multiples of 8, class 0 the CTC blank: the same layout as ``crnn.CRNN``, so the
training and decoding code treats both alike.

Sub-modules are declared in the order PaddleOCR's graph runs them; ``convert`` relies on it to lay
the published weights onto ours. The backbone is the re-parameterised (deployed) form: every conv
carries its folded batch norm as a bias, which fine-tuning can train as it is. Training and
inference pool the same way (PaddleOCR trains with an adaptive pool to 40 columns, which equals
this 3×2 average pool only at its 320-px training width).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .config import BlockSpec, PPRecConfig


class PadAfterConv2d(nn.Conv2d):
    """Stride-1 conv with TensorFlow/Paddle "SAME_UPPER" padding: an even kernel's extra row and
    column go after the image (explicitly, so torch need not copy for ``padding="same"``)."""

    def __init__(self, cin: int, cout: int, kernel: int) -> None:
        super().__init__(cin, cout, kernel, 1, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kh, kw = self.kernel_size
        x = F.pad(x, [(kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2])
        return super().forward(x)


class BranchStem(nn.Module):
    """Stride-4 stem: a strided conv, then a max-pool branch beside two 2×2 convs, merged."""

    def __init__(self, in_channels: int, mid: int, out: int) -> None:
        super().__init__()
        self.down = nn.Conv2d(in_channels, mid, 3, 2, 1)
        self.branch_a = PadAfterConv2d(mid, mid // 2, 2)
        self.branch_b = PadAfterConv2d(mid // 2, mid, 2)
        self.merge = nn.Conv2d(mid * 2, mid, 3, 2, 1)
        self.project = nn.Conv2d(mid, out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.down(x))
        convolved = F.relu(self.branch_b(F.relu(self.branch_a(x))))
        # x is post-ReLU (>= 0), so zero padding equals SAME padding for the max.
        pooled = F.max_pool2d(F.pad(x, [0, 1, 0, 1]), 2, 1)
        x = F.relu(self.merge(torch.cat([pooled, convolved], dim=1)))
        return F.relu(self.project(x))


class PlainStem(nn.Sequential):
    """Tiny's stride-4 stem: two strided 3×3 convs with batch norm, GELU between them."""

    def __init__(self, in_channels: int, mid: int, out: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, mid, 3, 2, 1, bias=False),
            nn.BatchNorm2d(mid),
            nn.GELU(),
            nn.Conv2d(mid, out, 3, 2, 1, bias=False),
            nn.BatchNorm2d(out),
        )


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int, reduction: int = 4) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, channels // reduction, 1)
        self.expand = nn.Conv2d(channels // reduction, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = x.mean(dim=(2, 3), keepdim=True)
        gate = F.hardsigmoid(self.expand(F.relu(self.reduce(gate))))
        return x * gate


class LCBlock(nn.Module):
    """Depthwise token mixer (+ squeeze-excite), then a 1×1 expand, GELU, 1×1 project."""

    def __init__(self, spec: BlockSpec, expand_ratio: int) -> None:
        super().__init__()
        self.residual = spec.residual
        cin, hidden = spec.in_channels, spec.in_channels * expand_ratio
        pad = (spec.kernel - 1) // 2
        self.mixer = nn.Conv2d(cin, cin, spec.kernel, spec.stride, pad, groups=cin)
        self.se = SqueezeExcite(cin) if spec.se else None
        self.expand = nn.Conv2d(cin, hidden, 1)
        self.project = nn.Conv2d(hidden, spec.out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.mixer(x)
        if self.se is not None:
            x = self.se(x)
        y: torch.Tensor = self.project(F.gelu(self.expand(x)))
        return x + y if self.residual else y


class ConvNormAct(nn.Sequential):
    def __init__(
        self,
        cin: int,
        cout: int,
        kernel: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        groups: int = 1,
        act: type[nn.Module] = nn.SiLU,
    ) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel, 1, padding, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            act(),
        )


class SelfAttention(nn.Module):
    def __init__(self, dim: int, heads: int, attention_dropout: float, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.attention_dropout = nn.Dropout(attention_dropout)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (N, L, 3C) → 3 × (N, heads, L, C / heads); unflatten keeps N and L symbolic on export.
        qkv = self.qkv(x).unflatten(-1, (3, self.heads, -1)).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        weights = self.attention_dropout((q @ k.transpose(-2, -1)).softmax(dim=-1))
        out: torch.Tensor = self.dropout(self.proj((weights @ v).transpose(1, 2).flatten(2)))
        return out


class TransformerBlock(nn.Module):
    """Pre-norm global attention and a SiLU MLP, each with a residual."""

    def __init__(self, config: PPRecConfig) -> None:
        super().__init__()
        dim = config.neck_dims
        hidden = int(dim * config.neck_mlp_ratio)
        self.norm1 = nn.LayerNorm(dim, eps=config.neck_norm_eps)
        self.attention = SelfAttention(
            dim, config.neck_heads, config.attention_dropout, config.dropout
        )
        self.norm2 = nn.LayerNorm(dim, eps=config.neck_norm_eps)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        mlp: torch.Tensor = self.dropout(self.fc2(self.dropout(F.silu(self.fc1(self.norm2(x))))))
        return x + mlp


class LightSVTRNeck(nn.Module):
    """1×1 reduce + a 1×k depthwise conv, attention over the columns, plus a 1×1 skip branch."""

    def __init__(self, config: PPRecConfig) -> None:
        super().__init__()
        cin, dim, k = config.feature_channels, config.neck_dims, config.neck_local_kernel
        self.skip = ConvNormAct(cin, dim)
        self.reduce = ConvNormAct(cin, dim)
        self.local = ConvNormAct(dim, dim, (1, k), (0, k // 2), groups=dim)
        self.blocks = nn.ModuleList(TransformerBlock(config) for _ in range(config.neck_depth))
        self.norm = nn.LayerNorm(dim, eps=config.neck_final_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, 1, T) features → (N, T, dims)."""
        skip: torch.Tensor = self.skip(x)
        z: torch.Tensor = self.reduce(x)
        z = z + self.local(z)
        seq = z.flatten(2).transpose(1, 2)
        for block in self.blocks:
            seq = block(seq)
        out: torch.Tensor = self.norm(seq) + skip.flatten(2).transpose(1, 2)
        return out


class ConvNeck(nn.Module):
    """Tiny's neck: a 1×k depthwise conv along the row, then a 1×1 conv, each with batch norm and
    hard-swish; no attention, so a column sees only its neighbours."""

    def __init__(self, config: PPRecConfig) -> None:
        super().__init__()
        dim, k = config.neck_dims, config.neck_local_kernel
        self.local = ConvNormAct(dim, dim, (1, k), (0, k // 2), groups=dim, act=nn.Hardswish)
        self.mix = ConvNormAct(dim, dim, act=nn.Hardswish)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, 1, T) features → (N, T, C)."""
        out: torch.Tensor = self.mix(self.local(x)).flatten(2).transpose(1, 2)
        return out


class PPRecNet(nn.Module):
    def __init__(self, config: PPRecConfig) -> None:
        super().__init__()
        self.config = config
        mid, out = config.stem_channels
        self.stem = (BranchStem if config.stem == "branch" else PlainStem)(3, mid, out)
        self.stages = nn.ModuleList(
            nn.Sequential(*(LCBlock(spec, config.expand_ratio) for spec in stage))
            for stage in config.stages
        )
        self.neck = LightSVTRNeck(config) if config.neck == "svtr" else ConvNeck(config)
        dims, hidden = config.neck_dims, config.head_hidden
        self.head: nn.Module = (
            nn.Sequential(nn.Linear(dims, hidden), nn.Linear(hidden, config.num_classes))
            if hidden
            else nn.Linear(dims, config.num_classes)
        )

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, 48, W) → (N, C, 1, T): the backbone, pooled to a single row."""
        x = self.stem(images)
        for stage in self.stages:
            x = stage(x)
        return F.avg_pool2d(x, (3, 2))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[2] != self.config.input_height:
            raise ValueError(
                f"input height {images.shape[2]}: the network reads lines "
                f"{self.config.input_height} px high"
            )
        logits: torch.Tensor = self.head(self.neck(self.features(images)))
        return logits.transpose(0, 1)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
