"""CRNN: a conv stack with BatchNorm, a BiLSTM and a linear classifier, trained with CTC.

Input (N, 1, 32, W) float32 (see preprocess.prepare_line); output logits (T, N, C) with T = W / 4:
two 2×2 poolings halve the width twice, two (2, 1) poolings and a final height-2 convolution bring
the height to 1, so a frame is 4 px of a 32-px-high line, enough for two frames per narrow digit.
Class 0 is the CTC blank (charset.BLANK).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from .crnn_reader import WIDTH_STRIDE


@dataclass(frozen=True)
class CRNNConfig:
    num_classes: int
    channels: tuple[int, ...] = (32, 64, 128, 128, 192, 192)
    lstm_hidden: int = 128
    lstm_layers: int = 2
    dropout: float = 0.1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = list(self.channels)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CRNNConfig:
        fields = dict(data)
        fields["channels"] = tuple(fields["channels"])
        return cls(**fields)


def _conv(
    cin: int, cout: int, kernel: tuple[int, int] = (3, 3), pad: tuple[int, int] = (1, 1)
) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, kernel, padding=pad, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class CRNN(nn.Module):
    def __init__(self, config: CRNNConfig) -> None:
        super().__init__()
        if len(config.channels) != 6:
            raise ValueError("CRNN needs six conv widths")
        c1, c2, c3, c4, c5, c6 = config.channels
        self.config = config
        self.features = nn.Sequential(
            *_conv(1, c1),
            nn.MaxPool2d(2, 2),  # 16 x W/2
            *_conv(c1, c2),
            nn.MaxPool2d(2, 2),  # 8 x W/4
            *_conv(c2, c3),
            *_conv(c3, c4),
            nn.MaxPool2d((2, 1), (2, 1)),  # 4 x W/4
            *_conv(c4, c5),
            *_conv(c5, c6),
            nn.MaxPool2d((2, 1), (2, 1)),  # 2 x W/4
            *_conv(c6, c6, kernel=(2, 1), pad=(0, 0)),  # 1 x W/4
        )
        self.dropout = nn.Dropout(config.dropout)
        self.rnn = nn.LSTM(
            c6,
            config.lstm_hidden,
            num_layers=config.lstm_layers,
            bidirectional=True,
            dropout=config.dropout if config.lstm_layers > 1 else 0.0,
        )
        self.classifier = nn.Linear(2 * config.lstm_hidden, config.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feats: torch.Tensor = self.features(images)  # N, C, 1, T
        seq = feats.squeeze(2).permute(2, 0, 1)  # T, N, C
        seq, _ = self.rnn(self.dropout(seq))
        logits: torch.Tensor = self.classifier(self.dropout(seq))
        return logits

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def output_lengths(widths: torch.Tensor) -> torch.Tensor:
    """Frames produced for input images of the given (unpadded) pixel widths."""
    return torch.div(widths, WIDTH_STRIDE, rounding_mode="floor").clamp(min=1)
