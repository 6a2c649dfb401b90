"""The demo document types, as plain data shaped like the DocumentType and FieldSpec models (pure).

The renderers in this package print exactly these labels (or one of their aliases) and place the
values of region-located fields inside the declared regions, so the app's demo data, the tests and
the benchmarks all read the same description of each bill.
"""

from __future__ import annotations

from typing import Any

FIELD_KINDS: tuple[str, ...] = (
    "text",
    "name",
    "id_number",
    "amount",
    "amount_in_words",
    "date",
    "account",
    "phone",
    "credit_code",
    "number",
)


def _field(
    order: int,
    key: str,
    label: str,
    kind: str,
    *,
    aliases: tuple[str, ...] = (),
    region: tuple[float, float, float, float] | None = None,
    required: bool = True,
    rules: list[dict[str, Any]] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "label_aliases": list(aliases),
        "kind": kind,
        "region": None if region is None else {"page": 0, "box": list(region)},
        "required": required,
        "rules": {"rules": rules} if rules else {},
        "threshold": threshold,
        "order": order,
    }


def _digits_rule(n: int, message: str) -> dict[str, Any]:
    return {"rule": "regex", "pattern": rf"^\d{{{n}}}$", "message": message}


BANK_SLIP: dict[str, Any] = {
    "code": "bank_slip",
    "name": "银行业务回单",
    "description": "Bank transaction slip (回单): payer, payee, amount in figures and in words.",
    "confidence_threshold": 0.90,
    "fields": [
        _field(
            1,
            "slip_number",
            "回单编号",
            "number",
            aliases=("回单号", "回单号码"),
            region=(0.755, 0.115, 0.985, 0.205),
            rules=[_digits_rule(12, "回单编号应为12位数字")],
        ),
        _field(2, "transaction_date", "交易日期", "date", aliases=("日期", "记账日期")),
        _field(3, "payer_name", "付款人户名", "name", aliases=("付款人名称", "付款方户名")),
        _field(4, "payer_account", "付款人账号", "account", aliases=("付款账号", "付款人帐号")),
        _field(5, "payer_bank", "付款人开户行", "text", aliases=("付款行", "付款人开户银行")),
        _field(6, "payee_name", "收款人户名", "text", aliases=("收款人名称", "收款方户名")),
        _field(7, "payee_account", "收款人账号", "account", aliases=("收款账号", "收款人帐号")),
        _field(8, "payee_bank", "收款人开户行", "text", aliases=("收款行", "收款人开户银行")),
        _field(9, "amount", "金额（小写）", "amount", aliases=("金额(小写)", "小写金额")),
        _field(
            10,
            "amount_in_words",
            "金额（大写）",
            "amount_in_words",
            aliases=("金额(大写)", "大写金额"),
            rules=[{"rule": "amount_in_words", "matches": "amount"}],
        ),
        _field(11, "purpose", "用途", "text", aliases=("摘要", "附言"), required=False),
        _field(
            12,
            "serial_number",
            "交易流水号",
            "number",
            aliases=("流水号", "交易序号"),
            rules=[{"rule": "length", "min": 16, "max": 20}],
        ),
    ],
}

LOAN_APPLICATION: dict[str, Any] = {
    "code": "loan_application",
    "name": "个人贷款申请表",
    "description": "Personal loan application form, filled in by hand by the applicant.",
    "confidence_threshold": 0.90,
    "fields": [
        _field(1, "applicant_name", "客户姓名", "name", aliases=("申请人姓名", "姓名")),
        _field(2, "id_number", "身份证号码", "id_number", aliases=("证件号码", "身份证号")),
        _field(3, "mobile", "手机号码", "phone", aliases=("联系电话", "手机")),
        _field(4, "amount", "申请金额", "amount", aliases=("申请金额（小写）", "贷款金额")),
        _field(
            5,
            "amount_in_words",
            "申请金额（大写）",
            "amount_in_words",
            aliases=("申请金额(大写)", "大写金额"),
            rules=[{"rule": "amount_in_words", "matches": "amount"}],
        ),
        _field(
            6,
            "term_months",
            "贷款期限（月）",
            "number",
            aliases=("贷款期限(月)", "期限（月）"),
            rules=[{"rule": "regex", "pattern": r"^\d{1,3}$", "message": "贷款期限应为月数"}],
        ),
        _field(
            7,
            "application_date",
            "申请日期",
            "date",
            aliases=("填表日期",),
            region=(0.60, 0.745, 0.98, 0.80),
        ),
        _field(8, "address", "居住地址", "text", aliases=("现居住地址", "住址")),
        _field(9, "employer", "工作单位", "text", aliases=("单位名称", "工作单位名称")),
        _field(10, "repayment_account", "还款账号", "account", aliases=("还款卡号", "还款账户")),
    ],
}

VAT_INVOICE: dict[str, Any] = {
    "code": "vat_invoice",
    "name": "增值税普通发票",
    "description": "VAT general invoice: buyer, seller, totals before and after tax.",
    "confidence_threshold": 0.95,
    "fields": [
        _field(
            1,
            "invoice_code",
            "发票代码",
            "number",
            region=(0.02, 0.14, 0.21, 0.205),
            rules=[_digits_rule(12, "发票代码应为12位数字")],
        ),
        _field(
            2,
            "invoice_number",
            "发票号码",
            "number",
            aliases=("发票号",),
            rules=[_digits_rule(8, "发票号码应为8位数字")],
        ),
        _field(3, "issue_date", "开票日期", "date"),
        _field(4, "buyer_name", "购买方名称", "text", aliases=("购方名称",)),
        _field(5, "buyer_tax_id", "购买方纳税人识别号", "credit_code", aliases=("购方税号",)),
        _field(6, "seller_name", "销售方名称", "text", aliases=("销方名称",)),
        _field(7, "seller_tax_id", "销售方纳税人识别号", "credit_code", aliases=("销方税号",)),
        _field(
            8,
            "amount_total",
            "合计金额",
            "amount",
            region=(0.605, 0.585, 0.755, 0.655),
            threshold=0.97,
        ),
        _field(
            9,
            "tax_total",
            "合计税额",
            "amount",
            region=(0.80, 0.585, 0.975, 0.655),
            threshold=0.97,
        ),
        _field(
            10,
            "total_in_words",
            "价税合计（大写）",
            "amount_in_words",
            aliases=("价税合计(大写)",),
            rules=[{"rule": "amount_in_words", "matches": "total"}],
        ),
        _field(
            11,
            "total",
            "价税合计（小写）",
            "amount",
            aliases=("（小写）", "(小写)"),
            threshold=0.97,
        ),
    ],
}

DEMO_TYPES: list[dict[str, Any]] = [BANK_SLIP, LOAN_APPLICATION, VAT_INVOICE]


def demo_type(code: str) -> dict[str, Any]:
    for doc_type in DEMO_TYPES:
        if doc_type["code"] == code:
            return doc_type
    known = ", ".join(t["code"] for t in DEMO_TYPES)
    raise ValueError(f"unknown demo document type {code!r}; known: {known}")


def field_spec(code: str, key: str) -> dict[str, Any]:
    for spec in demo_type(code)["fields"]:
        if spec["key"] == key:
            return spec
    raise KeyError(f"{code} has no field {key!r}")
