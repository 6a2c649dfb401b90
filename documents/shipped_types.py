"""The real document types the app ships, configured from public layout facts only: the labels,
blocks and number formats the State Taxation Administration's invoice templates print, and the
usual shape of an English retail receipt. ``manage.py load_types`` installs them (idempotent).

- ``e_invoice_digital``: 电子发票（普通发票）, the fully digital (全电) e-invoice since 2023:
  a 20-digit 发票号码, buyer and seller blocks side by side (购买方信息 | 销售方信息), each with
  名称 and 统一社会信用代码/纳税人识别号; totals row 合计; 价税合计（大写）⊗… （小写）¥….
- ``vat_e_invoice``: 增值税电子普通发票 of the tax-control system: 发票代码 (12 digits) and
  发票号码 (8 digits) top right, buyer block above the items and seller block below them, each
  with a letter-spaced 名 称 and 纳税人识别号.
- ``receipt``: an English retail receipt (as in ICDAR 2019 SROIE): the shop's company name with
  its legal form at the top, its address under it up to the TEL / GST lines, a day-first date
  and the TOTAL.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from documents.models import DocumentType, FieldSpec

# A check character that holds lets this share of misreadings through (MOD 31 catches about 30
# of 31 substitutions; look-alike confusions are less random, hence the margin).
CHECKSUM_RESIDUAL = 0.2
# Two printings of one amount (figures and capitals, or a total and its parts) that agree are
# both wrong only if they are wrong alike.
AGREEMENT_RESIDUAL = 0.05
AMOUNT_VALUE = r"(?<![\d.,])\d{1,3}(?:,\d{3})*\.\d{2}(?![\d%])|(?<![\d.,])\d+\.\d{2}(?![\d%])"


def _field(
    order: int,
    key: str,
    label: str,
    kind: str,
    *,
    aliases: tuple[str, ...] = (),
    location: dict[str, Any] | None = None,
    cleaning: list[Any] | None = None,
    rules: list[dict[str, Any]] | None = None,
    required: bool = True,
    threshold: float | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "label_aliases": list(aliases),
        "kind": kind,
        "region": None,
        "location": location or {},
        "cleaning": cleaning or [],
        "required": required,
        "rules": {"rules": rules} if rules else {},
        "threshold": threshold,
        "order": order,
    }


def _in(section: str, occurrence: int) -> dict[str, Any]:
    """In a section of the layout; where its anchor is not read, the n-th label on the page."""
    return {"section": section, "fallback": [{"occurrence": occurrence}]}


def _digits(n: int, message: str) -> list[dict[str, Any]]:
    return [{"rule": "regex", "pattern": rf"^\d{{{n}}}$", "message": message}]


_TAX_ID_LABELS = ("统一社会信用代码/纳税人识别号", "纳税人识别号", "统一社会信用代码")
_CREDIT_CODE = [{"rule": "credit_code", "residual_error": CHECKSUM_RESIDUAL}]


def _invoice_parties(order: int) -> list[dict[str, Any]]:
    return [
        _field(order, "buyer_name", "名称", "company", location=_in("buyer", 1),
               rules=[{"rule": "differs_from", "field": "seller_name"}]),
        _field(order + 1, "buyer_tax_id", _TAX_ID_LABELS[0], "credit_code",
               aliases=_TAX_ID_LABELS[1:], location=_in("buyer", 1), cleaning=["credit_code"],
               rules=[*_CREDIT_CODE, {"rule": "differs_from", "field": "seller_tax_id"}]),
        _field(order + 2, "seller_name", "名称", "company", location=_in("seller", 2)),
        _field(order + 3, "seller_tax_id", _TAX_ID_LABELS[0], "credit_code",
               aliases=_TAX_ID_LABELS[1:], location=_in("seller", 2), cleaning=["credit_code"],
               rules=_CREDIT_CODE),
    ]  # fmt: skip


def _invoice_totals(order: int) -> list[dict[str, Any]]:
    agree = {"residual_error": AGREEMENT_RESIDUAL}
    return [
        _field(order, "amount_total", "合计", "amount", cleaning=["amount"],
               location={"value": {"side": "right", "column": ["金额"]}},
               rules=[{"rule": "sum_of", "total": "total", "fields": ["tax_total"], **agree}]),
        _field(order + 1, "tax_total", "合计", "amount", cleaning=["amount"],
               location={"shared": True, "value": {"side": "right", "column": ["税额"]}},
               rules=[{"rule": "sum_of", "total": "total", "fields": ["amount_total"], **agree}]),
        _field(order + 2, "total_in_words", "价税合计（大写）", "amount_in_words",
               aliases=("价税合计(大写)", "价税合计"),
               rules=[{"rule": "amount_in_words", "matches": "total", **agree}]),
        _field(order + 3, "total", "（小写）", "amount", aliases=("(小写)", "小写"),
               cleaning=["amount"],
               rules=[{"rule": "amount_matches", "field": "total_in_words", **agree},
                      {"rule": "sum_of", "fields": ["amount_total", "tax_total"], **agree}]),
    ]  # fmt: skip


_INVOICE_LAYOUT_SECTIONS = {
    "buyer": ["购买方信息", "购买方", "购方", "购"],
    "seller": ["销售方信息", "销售方", "销方", "销"],
}

E_INVOICE_DIGITAL: dict[str, Any] = {
    "code": "e_invoice_digital",
    "name": "电子发票（普通发票）",
    "description": "Fully digital e-invoice (全电发票): 20-digit number, buyer and seller side by "
    "side, totals in figures and in capitals.",
    "confidence_threshold": 0.95,
    "layout": {"frame": "table", "sections": _INVOICE_LAYOUT_SECTIONS},
    "fields": [
        _field(1, "invoice_number", "发票号码", "number", cleaning=["digits_only"],
               rules=_digits(20, "全电发票号码应为20位数字")),
        _field(2, "issue_date", "开票日期", "date"),
        *_invoice_parties(3),
        *_invoice_totals(7),
    ],
}  # fmt: skip

VAT_E_INVOICE: dict[str, Any] = {
    "code": "vat_e_invoice",
    "name": "增值税电子普通发票",
    "description": "VAT electronic general invoice of the tax-control system: 12-digit code, "
    "8-digit number, buyer above and seller below the items.",
    "confidence_threshold": 0.95,
    "layout": {"frame": "table", "sections": _INVOICE_LAYOUT_SECTIONS},
    "fields": [
        _field(1, "invoice_code", "发票代码", "number", cleaning=["digits_only"],
               rules=_digits(12, "发票代码应为12位数字")),
        _field(2, "invoice_number", "发票号码", "number", cleaning=["digits_only"],
               rules=_digits(8, "发票号码应为8位数字")),
        _field(3, "issue_date", "开票日期", "date"),
        *_invoice_parties(4),
        *_invoice_totals(8),
    ],
}  # fmt: skip

# A legal form ends the company's name; what follows it (a registration number) is not part of it.
_COMPANY = (
    r"(?i)^(?P<v>[A-Z0-9][A-Z0-9 &'.,()\-]*?\b(?:SDN\.? ?BHD|BHD|BERHAD|PTE\.? ?LTD|LTD|LIMITED"
    r"|PLC|INC|ENTERPRISE|ENTERPRISES|TRADING)\b\.?)"
)
_RECEIPT_STOPS = [
    "TEL", "FAX", "PHONE", "TELEPHONE", "H/P", "GST", "CO NO", "CO. NO", "COMPANY NO",
    "REG NO", "ROC", "INVOICE", "RECEIPT", "TAX INVOICE", "CASH", "DATE",
]  # fmt: skip
# A Malaysian address opens with a house, lot or block number, or a street.
_ADDRESS_START = r"(?i)^(?:[A-Z]?-?\d|NO\b|LOT\b|BLK\b|BLOCK\b|UNIT\b|JALAN\b|JLN\b|KM\b)"
# A company registration number (1174703-K), printed beside or under the name.
_REGISTRATION = r"\(?\b\d{5,8}-[A-Z]\b\)?"
_DATE = (
    r"(?<![\d/.-])(?P<v>\d{1,2}([/.-])\d{1,2}\2(?:\d{4}|\d{2})|\d{4}([/.-])\d{1,2}\3\d{1,2})"
    r"(?![\d/.-])"
)

RECEIPT: dict[str, Any] = {
    "code": "receipt",
    "name": "Retail receipt",
    "description": "English retail receipt: company, date, address, total (like ICDAR SROIE).",
    "confidence_threshold": 0.95,
    "layout": {"frame": "content"},
    "fields": [
        _field(1, "company", "Company", "company",
               location={"by": "pattern", "pattern": _COMPANY,
                         "fallback": [{"by": "pattern", "pattern": r"^[A-Za-z][A-Za-z'&. ]{4,}$"}]},
               cleaning=["strip_symbols"]),
        _field(2, "date", "Date", "date", location={"by": "pattern", "pattern": _DATE},
               rules=[{"rule": "date", "day_first": True}]),
        _field(3, "address", "Address", "address",
               location={"by": "after", "after": "company", "start": _ADDRESS_START,
                         "until": _RECEIPT_STOPS, "value": {"lines": 4}},
               cleaning=[{"op": "remove", "pattern": _REGISTRATION}]),
        _field(4, "total", "TOTAL", "amount",
               aliases=("GRAND TOTAL", "NET TOTAL", "TOTAL AMOUNT", "TOTAL AMT PAYABLE",
                        "TOTAL PAYABLE", "TOTAL AFTER ROUNDING", "ROUNDED TOTAL",
                        "TOTAL INCL GST", "TOTAL (INCL GST)", "AMOUNT DUE", "TOTAL DUE"),
               # Figures stand at the right edge of a narrow slip, often after "RM".
               location={"pattern": AMOUNT_VALUE,
                         "value": {"side": "right", "box": [0, -0.7, 40, 0.7]}},
               cleaning=["amount"]),
    ],
}  # fmt: skip

SHIPPED_TYPES: list[dict[str, Any]] = [E_INVOICE_DIGITAL, VAT_E_INVOICE, RECEIPT]


def shipped_type(code: str) -> dict[str, Any]:
    for doc_type in SHIPPED_TYPES:
        if doc_type["code"] == code:
            return doc_type
    known = ", ".join(t["code"] for t in SHIPPED_TYPES)
    raise ValueError(f"unknown shipped document type {code!r}; known: {known}")


def install_types(types: list[dict[str, Any]] | None = None) -> list[DocumentType]:
    """Create or update document types and their field specs from plain data (idempotent).

    Field specs the data no longer lists are left alone: fields already read for them keep
    their spec.
    """
    out = []
    with transaction.atomic():
        for spec in SHIPPED_TYPES if types is None else types:
            doc_type, _ = DocumentType.objects.update_or_create(
                code=spec["code"],
                defaults={
                    "name": spec["name"],
                    "description": spec["description"],
                    "confidence_threshold": spec["confidence_threshold"],
                    "layout": spec.get("layout", {}),
                    "active": True,
                },
            )
            for field in spec["fields"]:
                values = {k: v for k, v in field.items() if k != "key"}
                FieldSpec.objects.update_or_create(
                    document_type=doc_type, key=field["key"], defaults=values
                )
            out.append(doc_type)
    return out
