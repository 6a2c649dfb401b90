"""Character sets of the recognition models and the one folding rule for look-alike characters.

Folding rule (applied to training labels, to model output and to every comparison):
  * fullwidth ASCII forms U+FF01..U+FF5E become their ASCII twins (： → :, ， → ,, （ → (, Ａ → A);
  * the ideographic space U+3000 becomes a plain space, runs of whitespace become one space;
  * the fullwidth yen sign ￥ (U+FFE5) becomes ¥ (U+00A5).
Everything else is kept as written (。、《》“” stay distinct classes).

Class 0 of every model is the CTC blank; character ``charset[i]`` is class ``i + 1``.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cached_property

BLANK = 0

_FOLD_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD_TABLE[0x3000] = 0x20
_FOLD_TABLE[0xFFE5] = 0xA5
_SPACES = re.compile(r"\s+")

# Symbols on bills beyond printable ASCII (after folding, so no fullwidth forms here).
BILL_SYMBOLS = "¥。、《》“”‘’№×÷±·—…【】「」〔〕℃°‰√□■☆★①②③④⑤"


def fold(text: str) -> str:
    """Apply the folding rule of this module's docstring."""
    return _SPACES.sub(" ", text.translate(_FOLD_TABLE)).strip()


def gb2312_level1() -> str:
    """The 3,755 level-1 hanzi of GB2312, decoded from the byte range 0xB0A1..0xD7F9."""
    chars = []
    for row in range(0xB0, 0xD8):
        for col in range(0xA1, 0xFF):
            try:
                chars.append(bytes((row, col)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def printable_ascii() -> str:
    return "".join(c for c in string.printable if c.isprintable())


@dataclass(frozen=True)
class Charset:
    """An ordered alphabet; index 0 of the model output is the blank, so chars start at 1."""

    chars: str

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("charset has duplicate characters")

    @property
    def num_classes(self) -> int:
        return len(self.chars) + 1

    @cached_property
    def _index(self) -> dict[str, int]:
        return {c: i + 1 for i, c in enumerate(self.chars)}

    def encode(self, text: str) -> list[int]:
        """Class ids of ``fold(text)``; raises KeyError naming characters outside the set."""
        folded = fold(text)
        missing = sorted({c for c in folded if c not in self._index})
        if missing:
            raise KeyError(f"characters not in charset: {''.join(missing)!r}")
        return [self._index[c] for c in folded]

    def covers(self, text: str) -> bool:
        return all(c in self._index for c in fold(text))

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i - 1] for i in ids if i != BLANK)


# Level-2 (GB2312) and beyond characters frequent in personal names, company names and places.
NAME_CHARS = (
    "鑫琪玥婧珏昊晟钰淼璐彧炜祎琛骁烨熠珂瑾萱昕泓衢泸邕亳硚娅晖煜沌漯臧媱铖锴楠桦梓榕槿毓赟倩蓓菁"
    "芮茜霏雯韬颢馨麒麟琦瑜瑛璇璟玮珩珺祺禧稷翊翎芸苓茗荃薇馥昱晔晗晞暄曦旻昀岚峥嵘恺懿瀚灏炅焱"
    "犇皓睿瞿禅笙筠箐粲聿胤荟莘蔺蚺覃诩鄞钊镕闫阚隽飒骞"
)

NUMERIC_CHARS = "0123456789X¥,.-/:() 年月日元"


def numeric_charset() -> Charset:
    """Digits and separators for IDs, amounts, dates, accounts and phone numbers."""
    return Charset(NUMERIC_CHARS)


def general_charset(extra: str = NAME_CHARS) -> Charset:
    """Printable ASCII + bill symbols + GB2312 level 1 + ``extra`` (name characters by default)."""
    seen: dict[str, None] = {}
    for c in printable_ascii() + BILL_SYMBOLS + gb2312_level1() + extra:
        seen.setdefault(c, None)
    return Charset("".join(seen))
