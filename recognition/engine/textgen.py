"""Generators of realistic bill field values, with a category each (pure; deterministic per seed).

Used by the synthetic line renderer (training and held-out data) and by the demo bill renderer, so
the model learns exactly the value formats the application validates.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from faker import Faker

from billtext.amounts import amount_to_chinese
from billtext.checksums import USCC_ALPHABET, gb11643_check_digit, uscc_check_char

# Administrative division prefixes (province + city level) for plausible ID numbers.
_REGIONS = (
    "110101",
    "110105",
    "120101",
    "130102",
    "310101",
    "310115",
    "320102",
    "320506",
    "330106",
    "340104",
    "350203",
    "370202",
    "410105",
    "420106",
    "430104",
    "440106",
    "440305",
    "500103",
    "510107",
    "610113",
)
LABELS = {
    "name": ("客户姓名", "姓名", "户名", "付款人户名", "收款人户名", "借款人", "申请人"),
    "id_number": ("身份证号码", "证件号码", "身份证号"),
    "amount": ("金额", "金额（小写）", "申请金额", "合计", "价税合计（小写）", "交易金额"),
    "amount_words": ("金额（大写）", "大写金额", "价税合计（大写）"),
    "date": ("日期", "交易日期", "开票日期", "申请日期"),
    "account": ("账号", "付款人账号", "收款人账号", "还款账号", "卡号"),
    "phone": ("手机号码", "联系电话", "电话"),
    "company": ("名称", "收款人户名", "工作单位", "销售方名称", "购买方名称"),
    "address": ("居住地址", "地址", "住所"),
    "credit_code": ("纳税人识别号", "统一社会信用代码"),
}


class ValueGenerator:
    """Bill field values; one instance per seed so data sets are reproducible."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.zh = Faker("zh_CN")
        self.zh.seed_instance(seed)
        self.en = Faker("en_US")
        self.en.seed_instance(seed + 1)

    # -- identities -----------------------------------------------------------------------------
    def name(self) -> str:
        return self.zh.name()

    def birth_date(self) -> date:
        return date(1950, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 55))

    def id_number(self) -> str:
        first17 = (
            self.rng.choice(_REGIONS)
            + self.birth_date().strftime("%Y%m%d")
            + f"{self.rng.randrange(1000):03d}"
        )
        return first17 + gb11643_check_digit(first17)

    def credit_code(self) -> str:
        head = self.rng.choice(("91", "92", "12", "52")) + self.rng.choice(_REGIONS)
        body = "".join(self.rng.choice(USCC_ALPHABET) for _ in range(9))
        return head + body + uscc_check_char(head + body)

    # -- money ----------------------------------------------------------------------------------
    def amount_value(self) -> Decimal:
        magnitude = self.rng.choice((10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000))
        cents = self.rng.randrange(100, magnitude * 100)
        if self.rng.random() < 0.4:
            cents -= cents % 100
        return Decimal(cents) / 100

    def format_amount(self, value: Decimal) -> str:
        style = self.rng.random()
        if style < 0.35:
            return f"{value:,.2f}"
        if style < 0.6:
            return f"{value:.2f}"
        if style < 0.85:
            return f"¥{value:,.2f}"
        if style < 0.93:
            return f"¥{value:.2f}"
        return f"{value:.2f}元"

    def amount(self) -> str:
        return self.format_amount(self.amount_value())

    def amount_words(self) -> str:
        words = amount_to_chinese(self.amount_value())
        return ("人民币" + words) if self.rng.random() < 0.25 else words

    # -- dates and numbers ----------------------------------------------------------------------
    def date_value(self) -> date:
        return date(2015, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 11))

    def format_date(self, d: date) -> str:
        style = self.rng.randrange(7)
        return (
            d.isoformat(),
            d.strftime("%Y/%m/%d"),
            f"{d.year}年{d.month}月{d.day}日",
            d.strftime("%Y年%m月%d日"),
            d.strftime("%Y.%m.%d"),
            d.strftime("%Y%m%d"),
            d.strftime("%d/%m/%Y"),
        )[style]

    def date(self) -> str:
        return self.format_date(self.date_value())

    def digits(self, n: int) -> str:
        return str(self.rng.randrange(1, 10)) + "".join(
            str(self.rng.randrange(10)) for _ in range(n - 1)
        )

    def account(self) -> str:
        number = self.rng.choice(("62", "60", "43", "95", "52")) + self.digits(
            self.rng.randrange(14, 18)
        )
        if self.rng.random() < 0.3:
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return number

    def phone(self) -> str:
        if self.rng.random() < 0.8:
            return "1" + self.rng.choice("3456789") + self.digits(9)
        area = self.rng.choice(("010", "021", "022", "023", "0755", "0571", "027", "028"))
        return f"{area}-{self.digits(self.rng.choice((7, 8)))}"

    def document_number(self) -> str:
        return self.digits(self.rng.choice((8, 10, 12, 20)))

    # -- free text ------------------------------------------------------------------------------
    def company(self) -> str:
        return self.zh.company()

    def address(self) -> str:
        return self.zh.address().split(" ")[0]

    def label_value(self) -> str:
        kind = self.rng.choice(tuple(LABELS))
        value = getattr(self, kind)()
        sep = self.rng.choice(("：", ":", "： ", " "))
        return f"{self.rng.choice(LABELS[kind])}{sep}{value}"

    def sentence_zh(self) -> str:
        text = self.zh.sentence(nb_words=self.rng.randrange(2, 8)).rstrip(".")
        return text + self.rng.choice(("", "", "。", "，"))

    def text_en(self) -> str:
        pick = self.rng.random()
        if pick < 0.3:
            return self.en.company().upper()
        if pick < 0.5:
            return self.en.street_address().upper()
        if pick < 0.7:
            qty = self.rng.randrange(1, 20)
            price = Decimal(self.rng.randrange(10, 50000)) / 100
            return f"{qty} X {price:.2f}" if self.rng.random() < 0.5 else f"{price * qty:.2f}"
        if pick < 0.85:
            label = self.rng.choice(("TOTAL", "CASH", "CHANGE", "GST NO:", "INVOICE NO:", "TEL:"))
            return f"{label} {self.rng.choice((self.digits(6), self.amount(), self.digits(12)))}"
        words = " ".join(self.en.words(self.rng.randrange(1, 5)))
        return words.upper() if self.rng.random() < 0.7 else words.capitalize()

    def generators(self) -> dict[str, Callable[[], str]]:
        """Category name → generator; the categories reported by evaluation."""
        return {
            "name": self.name,
            "id_number": self.id_number,
            "amount": self.amount,
            "amount_words": self.amount_words,
            "date": self.date,
            "account": self.account,
            "phone": self.phone,
            "document_number": self.document_number,
            "company": self.company,
            "address": self.address,
            "credit_code": self.credit_code,
            "label_value": self.label_value,
            "text_zh": self.sentence_zh,
            "text_en": self.text_en,
        }


NUMERIC_CATEGORIES = ("id_number", "amount", "date", "account", "phone", "document_number")
