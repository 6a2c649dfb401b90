"""Documents' results as a table, written as CSV or Excel bytes (no Django, no database).

One row per document, one column per field key (a mixed-type export gets one column per distinct
key, in the order the types list them). Every cell goes through ``documents.cells.safe_cell``, so a
value read off a bill never runs as a formula. Field values stay text in Excel too: an account or
ID number as a number would lose its leading zeros and its last digits.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from openpyxl import Workbook

from .cells import safe_cell

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Control characters an .xlsx cell cannot hold (openpyxl refuses them), dropped from both formats
# so that they hold the same text; tab, line feed and carriage return stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class DocumentRow:
    """One document's line of the export: its identity, then its field values by key."""

    id: int
    name: str
    external_id: str
    type: str
    status: str
    received: datetime  # naive, in the time zone the export is written for
    to_review: int
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Table:
    header: list[str]  # the fixed columns' titles, then the field keys
    keys: list[str]  # the field keys, in column order
    rows: Iterable[DocumentRow]  # may be a generator: read once, while writing

    def cells(self, row: DocumentRow) -> list[object]:
        fixed: list[object] = [
            row.id,
            row.name,
            row.external_id,
            row.type,
            row.status,
            row.received,
            row.to_review,
        ]
        values = [row.values.get(k, "") for k in self.keys]
        return [safe_cell(_printable(c)) for c in fixed + values]


def merge_keys(key_lists: Iterable[Sequence[str]]) -> list[str]:
    """The distinct keys of several types' field lists, each in its first place."""
    return list(dict.fromkeys(k for keys in key_lists for k in keys))


def write(table: Table, fmt: str, out: IO[bytes]) -> None:
    """Write ``table`` to the binary file ``out`` as ``fmt`` (csv or xlsx)."""
    if fmt == "csv":
        write_csv(table, out)
    elif fmt == "xlsx":
        write_xlsx(table, out)
    else:
        raise ValueError(f"unknown export format {fmt!r}")


def to_bytes(table: Table, fmt: str) -> bytes:
    out = io.BytesIO()
    write(table, fmt, out)
    return out.getvalue()


def write_csv(table: Table, out: IO[bytes]) -> None:
    """UTF-8 with a byte order mark: Excel then reads Chinese text right on a double click."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([safe_cell(h) for h in table.header])
    for row in table.rows:
        writer.writerow(
            [
                c.strftime("%Y-%m-%d %H:%M:%S") if isinstance(c, datetime) else c
                for c in table.cells(row)
            ]
        )
    text.flush()
    text.detach()  # the caller's file stays open


def write_xlsx(table: Table, out: IO[bytes], *, title: str = "Documents") -> None:
    book = Workbook(write_only=True)  # rows go straight to the file, not held in memory
    sheet = book.create_sheet(title=title[:31])
    sheet.freeze_panes = "B2"
    sheet.append([safe_cell(h) for h in table.header])
    for row in table.rows:
        sheet.append(table.cells(row))
    book.save(out)


def _printable(value: object) -> object:
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    return value
