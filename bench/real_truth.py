"""Field truth of the real sample pages (../shared/samples), for ``bench/e2e.py --real``.

Invoices carry no key-value truth, only their PDF text layer (``lines``, in reading order). Their
field truth is derived from those lines by the fixed rules below, written once from the public
layout of the two invoice templates (label names, buyer before seller in reading order), never
typed in by hand. Receipts carry SROIE's key fields (company, date, address, total).

Every truth value is given in the normal form the app stores in ``Field.normalized`` (amounts
1234.50, dates YYYY-MM-DD, credit codes upper case); :func:`same` compares in that form.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from billtext.amounts import parse_chinese_amount
from documents.rules import parse_date
from recognition.engine.metrics import comparable

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
# Document kinds of the samples' meta and the shipped type that reads them.
INVOICE_TYPES = {"digital_e_invoice": "e_invoice_digital", "vat_e_invoice": "vat_e_invoice"}
# The fields the target counts (number, date, buyer/seller name and tax id, total, total
# in words); the types read more (the 合计 row), which count for review and no-touch.
TARGET_FIELDS = {
    "e_invoice_digital": (
        "invoice_number", "issue_date", "buyer_name", "buyer_tax_id", "seller_name",
        "seller_tax_id", "total", "total_in_words",
    ),
    "vat_e_invoice": (
        "invoice_code", "invoice_number", "issue_date", "buyer_name", "buyer_tax_id",
        "seller_name", "seller_tax_id", "total", "total_in_words",
    ),
    "receipt": ("company", "date", "address", "total"),
}  # fmt: skip

_COLON = r"\s*[:：]\s*"
_AMOUNT = re.compile(r"[¥￥]\s*([\d,]+\.\d{2})")


def _box(line: dict) -> tuple[float, float, float, float]:
    xs, ys = line["box"][0::2], line["box"][1::2]
    return min(xs), min(ys), max(xs), max(ys)


def _same_row(a: dict, b: dict) -> bool:
    ay0, ay1, by0, by1 = _box(a)[1], _box(a)[3], _box(b)[1], _box(b)[3]
    return min(ay1, by1) - max(ay0, by0) >= 0.5 * min(ay1 - ay0, by1 - by0)


def _right_neighbours(lines: list[dict], line: dict) -> list[dict]:
    x1 = _box(line)[2]
    row = [o for o in lines if o is not line and _same_row(o, line) and _box(o)[0] >= x1 - 2]
    return sorted(row, key=lambda o: _box(o)[0])


def _after_label(lines: list[dict], pattern: str) -> list[str]:
    out = []
    for line in lines:
        m = re.match(pattern + _COLON + r"(.*)$", line["text"])
        if m and m.group(1).strip():
            out.append(m.group(1).strip())
    return out


def _amount(text: str) -> str:
    try:
        return f"{Decimal(text.replace(',', '')):.2f}"
    except InvalidOperation:
        return ""


def invoice_truth(lines: list[dict], type_code: str) -> dict[str, str]:
    """The rules: the value after the 发票号码, 发票代码 and 开票日期 labels; the 名称 (or
    the 称 of a spaced-out 名 称) and 纳税人识别号 values, the first for the buyer, the second
    for the seller; the ¥ amounts on the 合计 row, left to right; the ¥ amount after
    （小写）; the capitals right of 价税合计（大写）."""
    truth: dict[str, str] = {}
    for key, label in (("invoice_number", "发票号码"), ("invoice_code", "发票代码")):
        found = _after_label(lines, label)
        if found:
            truth[key] = re.sub(r"\s", "", found[0])
    dates = _after_label(lines, "开票日期")
    if dates:
        truth["issue_date"] = parse_date(dates[0]).isoformat()
    names = _after_label(lines, "(?:名称|称)")
    ids = _after_label(lines, "(?:统一社会信用代码/)?纳税人识别号")
    for n, who in enumerate(("buyer", "seller")):
        if len(names) > n:
            truth[f"{who}_name"] = names[n]
        if len(ids) > n:
            truth[f"{who}_tax_id"] = ids[n].upper()
    for line in lines:
        text = line["text"]
        if "小写" in text:
            m = _AMOUNT.search(text) or next(
                (m for o in _right_neighbours(lines, line) if (m := _AMOUNT.search(o["text"]))),
                None,
            )
            if m:
                truth["total"] = _amount(m.group(1))
        if re.match(r"价税合计\s*[(（]大写[)）]", text):
            words = _right_neighbours(lines, line)
            if words:
                capitals = words[0]["text"].lstrip("⊗ ")
                truth["total_in_words"] = capitals
                parse_chinese_amount(capitals)  # a rule that took the wrong line fails here
        if text.strip() == "计":
            row = [o for o in _right_neighbours(lines, line) if _AMOUNT.search(o["text"])]
            for key, o in zip(("amount_total", "tax_total"), row):
                m = _AMOUNT.search(o["text"])
                assert m is not None
                truth[key] = _amount(m.group(1))
    if type_code == "e_invoice_digital":
        truth.pop("invoice_code", None)
    return truth


def receipt_truth(fields: dict[str, str]) -> dict[str, str]:
    truth = {"company": fields["company"], "address": fields["address"]}
    truth["date"] = parse_date(fields["date"], day_first=True).isoformat()
    truth["total"] = _amount(fields["total"])
    return truth


def real_pages(folders: tuple[str, ...] = ("real-zh", "real")) -> list[dict]:
    """Every sample page the shipped types read: path, shipped type code and field truth."""
    pages = []
    for folder in folders:
        for meta_path in sorted((SAMPLES / folder / "docs").glob("*.json")):
            doc = json.loads(meta_path.read_text(encoding="utf-8"))
            image = next(meta_path.parent.glob(meta_path.stem + ".*[gG]"))
            kind = doc.get("meta", {}).get("kind")
            if doc.get("fields"):
                code, truth = "receipt", receipt_truth(doc["fields"])
            elif kind in INVOICE_TYPES:
                code = INVOICE_TYPES[kind]
                truth = invoice_truth(doc["lines"], code)
            else:
                continue
            pages.append({"name": meta_path.stem, "path": image, "type": code, "truth": truth})
    return pages


def same(value: str, truth: str) -> bool:
    """Equal after the folding rule, ignoring case (SROIE's truth is upper case)."""
    return comparable(value, ignore_case=True) == comparable(truth, ignore_case=True)
