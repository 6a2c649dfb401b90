"""What a PP-OCR model file says about itself: charset, preprocessing, provenance, temperature.

The same :class:`ModelInfo` travels in our torch checkpoints (as a dict) and in the metadata of
every ONNX file we export (as strings), so a single ``.onnx`` is enough to serve a model.
PaddleOCR's own ONNX files carry only their dictionary (metadata key ``character``, one character
a line, the space class appended after it); :meth:`ModelInfo.from_metadata` reads those too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from ..charset import Charset

FORMAT = "ppocr-rec/1"
FORMAT_KEY = "ocr_review.format"
CHARSET_KEY = "ocr_review.charset"
INFO_KEY = "ocr_review.info"
PADDLE_CHARSET_KEY = "character"

Output = Literal["logits", "probabilities"]
Layout = Literal["TNC", "NTC"]  # frames, batch, classes: ours; batch first: PaddleOCR's files


class ModelInfoError(ValueError):
    """Metadata that does not describe a PP-OCR recogniser we can run."""


@dataclass(frozen=True)
class Preprocessing:
    """PaddleOCR's ``resize_norm_img``: keep the aspect ratio at ``height`` (width rounded up,
    capped at ``max_width``), BGR, ``(x / 255 - mean) / std``, zeros on the right up to the batch
    width.

    A line is padded to its width rounded up to ``width_step``, and never below ``min_width``:
    PaddleOCR pads every batch to at least 320 px, and the neck attends over the whole padded row,
    so padding changes what is read. Measured on the real sample crops, coarser width buckets (up
    to 160 px of padding) lose 4 points of exact lines on receipts, and batching wider buckets buys
    no speed on one CPU thread; so lines only share a batch when their rounded widths are equal.
    """

    height: int = 48
    channels: str = "BGR"
    mean: float = 0.5
    std: float = 0.5
    min_width: int = 320
    width_step: int = 8
    max_width: int = 2048

    def __post_init__(self) -> None:
        if self.channels != "BGR":
            raise ModelInfoError(f"unsupported channel order {self.channels!r}")
        if self.width_step % 8 or self.min_width % self.width_step or self.max_width % 8:
            raise ModelInfoError("widths must be multiples of 8 (one output frame per 8 px)")
        if not 0 < self.min_width <= self.max_width:
            raise ModelInfoError("need 0 < min_width <= max_width")


@dataclass(frozen=True)
class Provenance:
    """Where the weights came from, so a file can be traced back and its licence honoured."""

    package: str = ""  # e.g. "rapidocr"
    version: str = ""  # e.g. "3.10.0"
    path: str = ""  # path of the source ONNX inside the package's wheel
    sha256: str = ""  # of that source ONNX file
    licence: str = "Apache-2.0"
    attribution: str = ""
    modified: bool = False  # True once fine-tuned or otherwise changed from the source weights


@dataclass(frozen=True)
class ModelInfo:
    architecture: str
    charset: Charset
    preprocessing: Preprocessing = field(default_factory=Preprocessing)
    provenance: Provenance = field(default_factory=Provenance)
    temperature: float = 1.0
    output: Output = "logits"
    layout: Layout = "TNC"
    kind: str = "general"

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            raise ModelInfoError(f"temperature must be positive, got {self.temperature}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["charset"] = self.charset.chars
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelInfo:
        try:
            return cls(
                architecture=str(data["architecture"]),
                charset=Charset(str(data["charset"])),
                preprocessing=Preprocessing(**data["preprocessing"]),
                provenance=Provenance(**data["provenance"]),
                temperature=float(data.get("temperature", 1.0)),
                output=data.get("output", "logits"),
                layout=data.get("layout", "TNC"),
                kind=str(data.get("kind", "general")),
            )
        except ModelInfoError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelInfoError(f"incomplete PP-OCR model description: {exc}") from exc

    def to_metadata(self) -> dict[str, str]:
        """ONNX ``metadata_props`` (strings only)."""
        rest = self.to_dict()
        chars = rest.pop("charset")
        return {
            FORMAT_KEY: FORMAT,
            CHARSET_KEY: json.dumps(chars, ensure_ascii=False),
            INFO_KEY: json.dumps(rest, ensure_ascii=False, sort_keys=True),
        }

    @classmethod
    def from_metadata(cls, meta: Mapping[str, str], *, architecture: str = "") -> ModelInfo:
        """Ours (:meth:`to_metadata`), or PaddleOCR's bare dictionary (softmax output)."""
        if FORMAT_KEY in meta:
            if meta[FORMAT_KEY] != FORMAT:
                raise ModelInfoError(
                    f"model format {meta[FORMAT_KEY]!r}, this engine reads {FORMAT}"
                )
            try:
                data = json.loads(meta[INFO_KEY])
                data["charset"] = json.loads(meta[CHARSET_KEY])
            except (KeyError, json.JSONDecodeError) as exc:
                raise ModelInfoError(f"damaged model metadata: {exc}") from exc
            return cls.from_dict(data)
        if PADDLE_CHARSET_KEY in meta:
            return cls(
                architecture=architecture,
                charset=paddle_charset(meta[PADDLE_CHARSET_KEY]),
                output="probabilities",
                layout="NTC",
            )
        raise ModelInfoError("the model carries no character set in its metadata")

    def with_changes(self, **changes: Any) -> ModelInfo:
        return replace(self, **changes)


def paddle_charset(dictionary: str) -> Charset:
    """PaddleOCR's CTC classes: blank (0), the dictionary's characters in order, then a space."""
    chars = dictionary.split("\n")
    if chars and chars[-1] == "":
        chars.pop()
    if any(len(c) != 1 for c in chars):
        raise ModelInfoError("the dictionary has entries that are not single characters")
    if " " in chars:
        raise ModelInfoError("the dictionary already holds a space")
    return Charset("".join(chars) + " ")
