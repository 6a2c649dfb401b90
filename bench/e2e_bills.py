"""The demo bills bench/e2e.py reads: rendered once per (count, seed), with their truth."""

from __future__ import annotations

import io
import json
from pathlib import Path

from bench.e2e_figures import TYPES

OUT_DIR = Path(__file__).resolve().parents[1] / "bench" / "out" / "e2e"


def render_bills(per_type: int, seed: int) -> Path:
    """Write the bills and truth.json once per (count, seed); later runs reuse them."""
    from demo.render import bills_to_pdf, render_bill

    folder = OUT_DIR / f"bills-{per_type}-{seed}"
    if (folder / "truth.json").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for code in TYPES:
        for i in range(per_type):
            bill = render_bill(code, seed + i)
            if i % 3 == 2:
                name = f"{code}-{seed + i}.pdf"
                (folder / name).write_bytes(bills_to_pdf([bill]))
            else:
                name = f"{code}-{seed + i}.png"
                buffer = io.BytesIO()
                bill.image.save(buffer, "PNG")
                (folder / name).write_bytes(buffer.getvalue())
            truth[name] = {"type": code, "fields": bill.truth}
    (folder / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
    return folder
