"""manage.py evaluate_ocr keeps its interface: --lines, --model, --ignore-case and --json with
top-level ``exact`` and ``cer``, on real receipt crops."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

LINES = 12


@pytest.fixture
def lower_case_receipts(samples, tmp_path) -> Path:
    """The first real receipt lines with their (upper-case) truth written in lower case."""
    source = samples / "real" / "lines"
    folder = tmp_path / "receipts"
    folder.mkdir()
    rows = (source / "labels.tsv").read_text(encoding="utf-8").splitlines()[:LINES]
    out = []
    for row in rows:
        name, text = row.split("\t")[:2]
        shutil.copy(source / name, folder / name)
        out.append(f"{name}\t{text.lower()}")
    (folder / "labels.tsv").write_text("\n".join(out) + "\n", encoding="utf-8")
    return folder


def _evaluate(folder: Path, tmp_path: Path, *flags: str) -> dict:
    target = tmp_path / f"figures{len(flags)}.json"
    call_command(
        "evaluate_ocr",
        "--lines",
        str(folder),
        "--model",
        "general",
        "--json",
        str(target),
        *flags,
        stdout=io.StringIO(),
    )
    return json.loads(target.read_text())


def test_json_has_exact_and_cer_and_ignore_case_compares_without_case(
    lower_case_receipts, tmp_path
):
    strict = _evaluate(lower_case_receipts, tmp_path)
    folded = _evaluate(lower_case_receipts, tmp_path, "--ignore-case")
    assert 0.0 <= strict["exact"] <= 1.0 and 0.0 <= strict["cer"]
    assert strict["exact"] < 0.5, "the model reads receipts in capitals, the truth is lower case"
    assert folded["exact"] > strict["exact"] + 0.3 and folded["cer"] < strict["cer"]


def test_a_folder_without_labels_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="labels.tsv"):
        call_command("evaluate_ocr", "--lines", str(tmp_path), stdout=io.StringIO())
