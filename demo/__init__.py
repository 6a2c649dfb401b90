"""Demo bills with known ground truth, for the demo data, the tests and the benchmarks (pure).

``render_bill("vat_invoice", seed=7)`` draws one bill of a type listed in :data:`DEMO_TYPES`;
:func:`save_bill` writes it as PNG/PDF plus a JSON of truth and boxes.
"""

from __future__ import annotations

from demo.render import Bill, bills_to_pdf, render_bill, save_bill
from demo.types import DEMO_TYPES, FIELD_KINDS, demo_type

__all__ = [
    "DEMO_TYPES",
    "FIELD_KINDS",
    "Bill",
    "bills_to_pdf",
    "demo_type",
    "render_bill",
    "save_bill",
]
