"""Spreadsheet-safe cells for every CSV or Excel file we write.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is a formula to
Excel and LibreOffice, so a value read off a bill, or typed by an uploader, could run when a clerk
opens an export. Such text gets a leading apostrophe (OWASP's advice); plain numbers such as
``-12.50`` stay numbers.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def safe_cell(value: object) -> object:
    """``value`` itself, or for formula-like text the same text with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value
