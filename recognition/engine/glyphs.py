"""Pre-training of the CRNN's conv stack as a single-glyph classifier (pure).

With ~4,000 classes, CTC on 2 CPU cores sits on its all-blank plateau for hours: each character is
seen too rarely and the alignment gives it a weak signal. Classifying isolated glyphs with
cross-entropy teaches the conv features every character in every training font in minutes; the
CRNN then starts from those features and only has to learn the sequence part.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from . import fonts
from .charset import Charset
from .crnn import CRNN
from .preprocess import LineArray, normalize, resize_to_height
from .synth import degrade

GLYPH_WIDTH = 32


class GlyphClassifier(nn.Module):
    """CRNN conv stack + mean over its frames + a linear layer over the charset's classes."""

    def __init__(self, crnn: CRNN) -> None:
        super().__init__()
        self.features = crnn.features
        self.head = nn.Linear(crnn.config.channels[-1], crnn.config.num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feats: torch.Tensor = self.features(images)  # N, C, 1, T
        logits: torch.Tensor = self.head(feats.mean(dim=(2, 3)))
        return logits


class GlyphSynth:
    """Single characters, centred with jitter, in the training fonts, degraded like lines."""

    def __init__(self, charset: Charset, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self.charset = charset
        self.chars = [c for c in charset.chars if c != " "]
        self.cjk = fonts.available(held_out=False, cjk=True)
        self.latin = fonts.available(held_out=False, cjk=False)
        self._order: list[int] = []

    def _next_class(self) -> int:
        # Shuffled passes over the whole charset: every class equally often.
        if not self._order:
            self._order = list(range(len(self.chars)))
            self.rng.shuffle(self._order)
        return self._order.pop()

    def sample(self) -> tuple[LineArray, int]:
        index = self._next_class()
        char = self.chars[index]
        pool = self.cjk + (self.latin if ord(char) < 0x250 else [])
        spec = self.rng.choice(pool)
        size = self.rng.randrange(24, 40)
        font = fonts.load_font(spec, size)
        canvas = int(size * 1.4)
        paper = self.rng.randrange(170, 256)
        ink = self.rng.randrange(0, max(1, min(110, paper - 70)))
        img = Image.new("L", (canvas, canvas), paper)
        draw = ImageDraw.Draw(img)
        left, top, right, bottom = draw.textbbox((0, 0), char, font=font)
        x = (canvas - (right - left)) / 2 - left + self.rng.uniform(-0.08, 0.08) * size
        y = (canvas - (bottom - top)) / 2 - top + self.rng.uniform(-0.08, 0.08) * size
        draw.text((x, y), char, font=font, fill=ink)
        array = degrade(np.asarray(img), self.rng, strength=0.7)
        line = resize_to_height(array)
        line = (
            line[:, :GLYPH_WIDTH]
            if line.shape[1] >= GLYPH_WIDTH
            else np.pad(line, ((0, 0), (0, GLYPH_WIDTH - line.shape[1])), constant_values=255)
        )
        return normalize(line), self.charset.encode(char)[0]

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        items = [self.sample() for _ in range(n)]
        images = torch.from_numpy(np.stack([i for i, _ in items])[:, None])
        return images, torch.tensor([c for _, c in items])


def pretrain_features(
    crnn: CRNN,
    charset: Charset,
    *,
    steps: int,
    batch_size: int = 128,
    lr: float = 2e-3,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> float:
    """Train ``crnn.features`` in place as a glyph classifier; returns the last accuracy."""
    model = GlyphClassifier(crnn)
    model.train()
    synth = GlyphSynth(charset, seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    correct = seen = 0
    accuracy = 0.0
    for step in range(1, steps + 1):
        images, labels = synth.batch(batch_size)
        logits = model(images)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        correct += int((logits.argmax(1) == labels).sum())
        seen += len(labels)
        if step % 100 == 0 or step == steps:
            accuracy = correct / seen
            log(
                f"glyph pre-training step {step}/{steps}: loss {loss.item():.3f}, "
                f"train accuracy {accuracy:.3f}"
            )
            correct = seen = 0
    return accuracy
