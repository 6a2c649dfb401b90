"""Red seal ink in a line crop: found, taken out, and a reader that reads lines without it (pure).

Chinese invoices and bank slips are stamped with red seals: the tax authority's supervision seal
over an invoice's title, the seller's invoice seal over its name and total, a bank's business
seal over a slip's fields. Through a colour-to-gray conversion the red turns into dark strokes
across the characters under it. In the red channel red ink is nearly as bright as the paper,
while black, blue and brown print stays dark: a crop's red channel is its print without the seal.

Red print that is itself the text would vanish the same way, so a crop with red ink that is not
read confidently as it is is read again without the red, and the more confident reading is kept:
``read_around_seal`` for one reading (the pipeline's value lines and value boxes,
``processing.seals``), ``SealFreeReader`` for batches of line crops (``read_lines``, benchmarks).

Chosen on rendered demo bills with their seals (``bench/red_seals.py``; the sample pages only
measure it): of the 115 truth lines with red ink on 36 stamped bills the shipped general model
read 109 right as they were, 112 without the red, 112 reading both and 112 reading the second
only under SURE (55 second readings instead of 115); 1,963 and 1,966 of all 1,979 lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .charset import Charset
from .ctc import Decoded, KeepScores
from .readers import LineReader

# A pixel is red ink when its red value exceeds both green and blue by this much (of 255): seal
# red (about 205, 32, 38) by ~170; brown print (about 140, 90, 50) by ~50 is not.
RED_MARGIN = 64
# A crop is read again without red when at least this share of its pixels is red ink, and the
# reading as it is came out under SURE (the value of OCR_FAST_READER_MIN_CONFIDENCE, the fast
# reader's "no second look" threshold, chosen separately: bench/red_seals.py measured this one).
MIN_RED_SHARE = 0.01
SURE = 0.98


def red_ink_share(image: npt.NDArray[Any]) -> float:
    """The share of a BGR (or BGRA) crop's pixels that are red ink; 0 for a gray crop."""
    if image.ndim != 3 or image.shape[2] < 3 or image.size == 0:
        return 0.0
    pixels = image[:, :, :3].astype(np.int16)
    red = pixels[:, :, 2] - np.maximum(pixels[:, :, 0], pixels[:, :, 1])
    pixels_in_crop = int(image.shape[0]) * int(image.shape[1])
    return int(np.count_nonzero(red >= RED_MARGIN)) / pixels_in_crop


def without_red_ink(image: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """The gray crop of a BGR (or BGRA) crop with its red ink gone: its red channel."""
    return np.ascontiguousarray(image[:, :, 2], dtype=np.uint8)


def read_around_seal(
    reader: LineReader, read: Decoded, colour_crop: Callable[[], npt.NDArray[Any]]
) -> Decoded:
    """``read`` (``reader``'s reading of a crop), or ``reader``'s reading of the colour crop
    (made by ``colour_crop`` only when needed) without its red ink, when ``read`` is under SURE,
    the crop has red ink and that reading is more confident."""
    if read.confidence >= SURE:
        return read
    crop = colour_crop()
    if not has_red_ink(crop):
        return read
    again = reader.recognize_one(without_red_ink(crop))
    return again if again.confidence > read.confidence else read


class SealFreeReader:
    """``inner``, and for every crop with red ink that ``inner`` read under ``sure``, ``inner``
    again on the crop without it; the reading with the higher confidence is kept. Any other
    attribute is ``inner``'s."""

    def __init__(self, inner: LineReader, sure: float = SURE) -> None:
        self.inner = inner
        self.sure = sure
        self.kind: str = inner.kind
        self.sha256: str = inner.sha256
        self.charset: Charset = inner.charset

    def __getattr__(self, name: str) -> Any:
        if "inner" not in self.__dict__:  # copy and pickle ask before __init__ ran
            raise AttributeError(name)
        return getattr(self.__dict__["inner"], name)

    def recognize(
        self, images: Sequence[npt.NDArray[Any]], *, keep_scores: KeepScores = False
    ) -> list[Decoded]:
        out = self.inner.recognize(images, keep_scores=keep_scores)
        stamped = [
            i
            for i, image in enumerate(images)
            if out[i].confidence < self.sure and has_red_ink(image)
        ]
        if stamped:
            again = self.inner.recognize(
                [without_red_ink(images[i]) for i in stamped], keep_scores=keep_scores
            )
            for i, decoded in zip(stamped, again, strict=True):
                if decoded.confidence > out[i].confidence:
                    out[i] = decoded
        return out

    def recognize_one(self, image: npt.NDArray[Any]) -> Decoded:
        return self.recognize([image])[0]


def has_red_ink(image: Any) -> bool:
    """The crop is a colour array with at least MIN_RED_SHARE of red ink."""
    return isinstance(image, np.ndarray) and red_ink_share(image) >= MIN_RED_SHARE
