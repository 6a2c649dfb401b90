"""The one text normalisation every rule sees (pure).

Recognised text and admin-typed configuration both come in mixed widths: a bill printed with a
Chinese font yields ``１２３``, ``，`` and ``￥`` where an English one yields ``123``, ``,`` and
``¥``. Rules compare values only after :func:`fold_text`, so a pattern or a list of choices never
has to spell both.
"""

from __future__ import annotations

import re

# Kinds whose inner spacing is content (a company name, a free-text remark); every other kind
# is a code or a number in which a run of spaces is layout, not meaning.
FREE_TEXT_KINDS = frozenset({"text", "name"})

_FULLWIDTH_OFFSET = 0xFF01 - 0x21
_WIDTH_TABLE = {cp: cp - _FULLWIDTH_OFFSET for cp in range(0xFF01, 0xFF5F)}
_WIDTH_TABLE[0x3000] = ord(" ")  # ideographic space
_WIDTH_TABLE[0xFFE5] = ord("¥")  # fullwidth yen/yuan sign, outside the FF01-FF5E block
_WHITESPACE_RE = re.compile(r"\s+")


def fold_text(s: str) -> str:
    """Strip, and fold fullwidth ASCII (U+FF01-U+FF5E), U+3000 and ``￥`` to their halfwidth forms.

    >>> fold_text(" ￥１，２３４．５０ ")
    '¥1,234.50'
    """
    return s.translate(_WIDTH_TABLE).strip()


def fold_width(s: str) -> str:
    """:func:`fold_text` without the strip: one character out for every character in."""
    return s.translate(_WIDTH_TABLE)


def normalize_value(value: str, kind: str) -> str:
    """:func:`fold_text`, then one space for each run of inner whitespace in non-text kinds."""
    folded = fold_text(value)
    if kind in FREE_TEXT_KINDS:
        return folded
    return _WHITESPACE_RE.sub(" ", folded)
