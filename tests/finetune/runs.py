"""A short ``finetune_ppocr`` run for the tests: a step or two, tiny evaluation sets."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command


def short_finetune(tmp_path: Path, **options: object) -> dict:
    """Run ``finetune_ppocr`` into ``tmp_path/run`` with test-sized defaults (``options`` win);
    returns the one JSON line it prints."""
    out = io.StringIO()
    call_command(
        "finetune_ppocr",
        **{
            "out_dir": str(tmp_path / "run"),
            "stage1_steps": 1,
            "stage2_steps": 0,
            "batch": 4,
            "val_dir": str(tmp_path / "val"),
            "val_lines": 3,
            "heldout_dir": "none",
            "general_dir": "none",
            "stdout": out,
            "stderr": io.StringIO(),
            **options,
        },
    )
    return json.loads(out.getvalue())  # stdout holds one JSON line, nothing else
