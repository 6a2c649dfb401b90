"""Training lines for fine-tuning a PP-OCR recogniser: synthetic bill fields, clerk corrections and
general-text replay (pure: no Django; nothing here runs the network).

* **Labelled synthetic lines** come from ``textgen`` (bill-field categories), drawn in the
  *training* fonts with the *training* degradations only (``synth.degrade(held_out=False)``): the
  held-out fonts and ``synth.HELD_OUT_DEGRADATIONS`` stay unseen, so the held-out figures still
  measure generalisation.
* **Replay lines** (general text: random characters, addresses, companies, Chinese sentences,
  receipt-like English) carry no label: the frozen base model's per-frame distributions are their
  targets (distillation, see ``finetune``), which keeps what it reads beyond bill fields.
* **Corrections** are the crops of ``manage.py export_corrections`` (``finetune.read_split``).

Targets are written in the model's own dictionary: PaddleOCR holds fullwidth forms (``：（）￥``)
as classes of their own, so the generator's unfolded text is kept wherever the dictionary has the
character, and folded only where it has just the ASCII twin; a line with a character the
dictionary lacks is skipped and counted. Every step's lines are a function of (seed, step) alone,
so a resumed run continues the very same stream.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2

from .. import fonts
from ..charset import Charset, fold, general_charset
from ..evaluate import LabelledLine, load_image, read_labels
from ..finetune import read_split
from ..preprocess import GrayImage
from ..synth import BILL_FIELD_WEIGHTS, add_neighbour_sliver, degrade, render_text
from ..textgen import ValueGenerator

# General text that is not what the bills carry, so no labelled stream teaches it: the base model's
# own readings of it are what fine-tuning must not forget.
REPLAY_WEIGHTS: Mapping[str, float] = {
    "chars_zh": 1.0,
    "chars_any": 0.7,
    "address": 1.0,
    "company": 1.0,
    "text_zh": 1.0,
    "text_en": 1.5,
    "name": 0.4,
}
LABEL_WEIGHTS: Mapping[str, float] = dict(BILL_FIELD_WEIGHTS)
_WHITESPACE = re.compile(r"\s+")
SYNTHETIC, CORRECTION, REPLAY = "synthetic", "correction", "replay"


@dataclass(frozen=True)
class TrainLine:
    image: GrayImage
    text: str  # target in the model's dictionary; "" for replay lines (the teacher is the target)
    source: str  # SYNTHETIC | CORRECTION | REPLAY
    category: str = ""
    font: str = ""


def paddle_target(text: str, dictionary: frozenset[str]) -> str | None:
    """``text`` in the model's classes: each character as written if the dictionary has it, else
    its folded form; None if some character is in neither. Whitespace runs become one space."""
    out: list[str] = []
    for c in _WHITESPACE.sub(" ", text).strip():
        if c in dictionary:
            out.append(c)
            continue
        folded = fold(c) or " "
        if any(f not in dictionary for f in folded):
            return None
        out.append(folded)
    return "".join(out) or None


class LineStream:
    """Seeded synthetic lines in the training fonts; ``batch(step, ...)`` depends on seed + step."""

    def __init__(
        self,
        charset: Charset,
        *,
        seed: int,
        label_weights: Mapping[str, float] = LABEL_WEIGHTS,
        replay_weights: Mapping[str, float] = REPLAY_WEIGHTS,
        strength: float = 1.0,
        extra_fonts: bool = False,
    ) -> None:
        self.seed = seed
        self.dictionary = frozenset(charset.chars)
        self.values = ValueGenerator(seed)
        self.generators = self.values.generators()
        known = set(self.generators) | {"chars_zh", "chars_any"}
        for weights in (label_weights, replay_weights):
            unknown = set(weights) - known
            if unknown:
                raise ValueError(f"unknown text categories {sorted(unknown)}")
        self.label_weights = dict(label_weights)
        self.replay_weights = dict(replay_weights)
        # Random characters come from our own charset: every one of them is drawn by the training
        # fonts, which is not true of PaddleOCR's 18,708 (emoji, rare CJK extensions).
        drawable = [c for c in general_charset().chars if c in self.dictionary and c != " "]
        self.hanzi = [c for c in drawable if ord(c) >= 0x3400] or drawable
        self.any_chars = drawable
        self.cjk_fonts = fonts.available(held_out=False, cjk=True, extra=extra_fonts)
        self.latin_fonts = fonts.available(held_out=False, cjk=False, extra=extra_fonts)
        if not self.cjk_fonts:
            raise fonts.FontMissing("no CJK training font installed: run scripts/bootstrap.sh")
        self.strength = strength
        self.skipped: Counter[str] = Counter()  # labelled lines left out, by category

    def rng_for(self, key: str) -> random.Random:
        """A generator for ``key``, with the text generators reseeded from it."""
        rng = random.Random(f"{self.seed}:{key}")
        self.values.rng.seed(rng.randrange(2**62))
        self.values.zh.seed_instance(rng.randrange(2**62))
        self.values.en.seed_instance(rng.randrange(2**62))
        return rng

    def batch(self, step: int, labelled: int, replay: int) -> list[TrainLine]:
        rng = self.rng_for(f"step{step}")
        return [self.labelled(rng) for _ in range(labelled)] + [
            self.replay(rng) for _ in range(replay)
        ]

    def labelled(self, rng: random.Random, weights: Mapping[str, float] | None = None) -> TrainLine:
        for _ in range(50):
            category = _pick(rng, weights or self.label_weights)
            target = paddle_target(self._text(category, rng), self.dictionary)
            if target is None:
                self.skipped[category] += 1
                continue
            image, font = self._render(target, rng)
            return TrainLine(image, target, SYNTHETIC, category, font)
        raise RuntimeError("no line of these categories fits the model's dictionary")

    def replay(self, rng: random.Random) -> TrainLine:
        category = _pick(rng, self.replay_weights)
        text = _WHITESPACE.sub(" ", self._text(category, rng)).strip() or "0"
        image, font = self._render(text, rng)
        return TrainLine(image, "", REPLAY, category, font)

    def _text(self, category: str, rng: random.Random) -> str:
        if category == "chars_zh":
            return "".join(rng.choices(self.hanzi, k=rng.randrange(2, 13)))
        if category == "chars_any":
            return "".join(rng.choices(self.any_chars, k=rng.randrange(2, 13)))
        return self.generators[category]()

    def _render(self, text: str, rng: random.Random) -> tuple[GrayImage, str]:
        if all(ord(c) < 0x250 for c in text) and self.latin_fonts and rng.random() < 0.5:
            font = rng.choice(_drawing(self.latin_fonts, text))
        else:
            font = rng.choice(_drawing(self.cjk_fonts, text))
        image = render_text(text, font, rng)
        if self.strength > 0:
            if rng.random() < 0.1 * self.strength:
                other = self._text(_pick(rng, self.replay_weights), rng)
                image = add_neighbour_sliver(image, render_text(other, font, rng), rng)
            image = degrade(image, rng, strength=self.strength, held_out=False)
        return image, font.name


def _drawing(pool: list[fonts.FontSpec], text: str) -> list[fonts.FontSpec]:
    """The fonts of ``pool`` that draw ``text``: the original training fonts draw every character
    of our charset; an extra font is checked (the GB fonts lack most characters beyond GB 2312)."""
    return [f for f in pool if not f.extra or fonts.covers(f, text)]


def _pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


# -- clerk corrections ----------------------------------------------------------------------------


@dataclass
class Corrections:
    train: list[TrainLine]
    val: list[TrainLine]
    skipped: dict[str, int]


def load_corrections(data_dir: str | Path, charset: Charset) -> Corrections:
    """Both splits of a corrections export, labels in the model's dictionary (see module doc)."""
    dictionary = frozenset(charset.chars)
    skipped: Counter[str] = Counter()
    splits: dict[str, list[TrainLine]] = {}
    for split in ("train", "val"):
        splits[split] = []
        for line in read_split(data_dir, split):
            target = paddle_target(line.text, dictionary)
            if target is None:
                skipped[f"{split}:characters_outside_dictionary"] += 1
                continue
            try:
                image = load_image(line.path)
            except (OSError, ValueError):
                skipped[f"{split}:unreadable_image"] += 1
                continue
            if min(image.shape[:2]) < 2:
                skipped[f"{split}:image_too_small"] += 1
                continue
            splits[split].append(TrainLine(image, target, CORRECTION, line.category, "export"))
    if not splits["train"]:
        raise ValueError(f"{data_dir} holds no usable training crops (skipped: {dict(skipped)})")
    return Corrections(splits["train"], splits["val"], dict(skipped))


def sample_corrections(
    lines: Sequence[TrainLine], n: int, rng: random.Random, augment: float
) -> list[TrainLine]:
    """``n`` crops drawn at random, each degraded again (half strength) with probability
    ``augment`` so that a crop is rarely seen twice the same."""
    picked = [lines[rng.randrange(len(lines))] for _ in range(n)] if lines else []
    return [
        replace(line, image=degrade(line.image, rng, strength=0.5))
        if rng.random() < augment
        else line
        for line in picked
    ]


# -- the fixed validation split -------------------------------------------------------------------


def write_validation_set(
    out_dir: str | Path, stream: LineStream, n: int, *, general: bool = False
) -> Path:
    """``n`` labelled lines (training fonts, the stream's seed) as PNG crops + ``labels.tsv``
    (name, target, category, font); labels.tsv is written last, so a half-written folder is
    simply written again. ``general``: lines of the replay categories, with their labels, to
    measure what fine-tuning must not forget."""
    out = Path(out_dir)
    if out.resolve().name.endswith("-heldout"):
        raise ValueError(f"{out} is named as a held-out set; the validation split is not one")
    out.mkdir(parents=True, exist_ok=True)
    rng = stream.rng_for("general" if general else "validation")
    rows = []
    for i in range(n):
        line = stream.labelled(rng, stream.replay_weights if general else None)
        name = f"{i:05d}.png"
        cv2.imwrite(str(out / name), line.image)
        rows.append(f"{name}\t{line.text}\t{line.category}\t{line.font}\n")
    (out / "labels.tsv").write_text("".join(rows), encoding="utf-8")
    return out


def validation_lines(
    out_dir: str | Path,
    charset: Charset,
    *,
    n: int,
    seed: int,
    general: bool = False,
    replay_weights: Mapping[str, float] = REPLAY_WEIGHTS,
) -> list[LabelledLine]:
    """The fixed validation split in ``out_dir`` (of the replay categories if ``general``),
    written first if missing or too short; in the original training fonts only, so that runs
    with and without the extra fonts are measured on the same lines."""
    folder = Path(out_dir)
    if (folder / "labels.tsv").is_file():
        lines = read_labels(folder)
        if len(lines) >= n:
            return lines[:n]
    stream = LineStream(charset, seed=seed, replay_weights=replay_weights)
    write_validation_set(folder, stream, n, general=general)
    return read_labels(folder)
