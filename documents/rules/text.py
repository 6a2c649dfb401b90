"""Checks for free-text fields: company names, person names, addresses (pure).

A text field has no checksum, so these rules check what a value *taken from the wrong place*
gets wrong: a company name that does not end in a legal form, a name or address that still
carries a printed label (名称 / 地址 / TEL), digits where a person's name should be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from documents.rules import messages as msg
from documents.rules.base import FieldContext, Rule, RuleFailure, register
from documents.rules.normalize import fold_text
from documents.rules.options import int_option, words_option

# Legal forms and the usual endings of organisation names that issue or receive bills.
COMPANY_SUFFIXES: tuple[str, ...] = (
    # Chinese: 有限公司, 股份有限公司, 分公司 … all end in 公司.
    "公司", "集团", "厂", "店", "商行", "商店", "中心", "事务所", "合作社", "工作室", "经营部",
    "门市部", "营业部", "服务部", "研究所", "研究院", "医院", "诊所", "药房", "学校", "学院",
    "大学", "银行", "支行", "分行", "协会", "委员会", "局", "馆", "酒店", "宾馆", "饭店",
    "加油站", "超市",
    # English (Malaysia, Singapore, UK, US): SDN BHD, BHD, LTD, …
    "SDN BHD", "SDN. BHD.", "SDN BHD.", "BHD", "BHD.", "BERHAD", "PTE LTD", "PTE. LTD.", "LTD",
    "LTD.", "LIMITED", "LLC", "LLP", "INC", "INC.", "CORP", "CORP.", "CORPORATION", "CO.", "PLC",
    "GMBH", "ENTERPRISE", "ENTERPRISES", "TRADING",
)  # fmt: skip
# Words printed as labels on bills; a value that contains one was cut from the wrong place.
LABEL_WORDS: tuple[str, ...] = (
    "名称", "纳税人", "识别号", "信用代码", "地址", "电话", "开户行", "账号", "购买方", "销售方",
    "开票", "价税合计", "姓名",
    "TEL", "FAX", "GST", "DATE", "TOTAL", "INVOICE", "RECEIPT", "CASHIER", "REG. NO", "REG NO",
    "COMPANY NO", "CO. NO", "CO NO",
)  # fmt: skip
_LATIN_WORD_RE = re.compile(r"^[A-Z][A-Z .]*$")
_TRAILING_PUNCTUATION = " .,;:，。；："
_HANZI_NAME_RE = re.compile(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,8}·[\u4e00-\u9fff]{1,8}")
_LATIN_NAME_RE = re.compile(r"[A-Za-z][A-Za-z.'\- ]*[A-Za-z.]")
# A Chinese address names an administrative unit or a street; a Latin one carries a number.
_HANZI_ADDRESS_MARKS = "省市区县镇乡村路街道巷弄号楼室栋座园"


def label_words_in(value: str, words: tuple[str, ...]) -> list[str]:
    """The label words ``value`` contains: Latin ones as whole words, case-insensitively."""
    upper = fold_text(value).upper()
    found = []
    for word in words:
        w = fold_text(word).upper()
        if _LATIN_WORD_RE.match(w):
            if re.search(rf"(?<![A-Z]){re.escape(w)}(?![A-Z])", upper):
                found.append(word)
        elif w in upper:
            found.append(word)
    return found


def _label_failure(value: str, words: tuple[str, ...], *, colon: bool = True) -> list[RuleFailure]:
    """A label word inside, or (``colon``) the colon that ends a printed label."""
    inside = label_words_in(value, words)
    if not inside and not (colon and any(c in value for c in ":：")):
        return []
    template = msg.LABEL_WORDS_INSIDE if inside else msg.LABEL_COLON_INSIDE
    params = {"value": msg.quoted(value), "words": "、".join(inside)}
    return [RuleFailure("label_inside", template, params)]


@register
@dataclass(frozen=True)
class CompanyNameRule(Rule):
    """An organisation's name: ends in a legal form (公司, 有限公司, SDN BHD …), holds no label.

    ``suffixes`` replaces the default list of endings, ``label_words`` the words that must not
    appear inside (an empty list switches that check off).
    """

    code = "company_name"
    suffixes: tuple[str, ...] = COMPANY_SUFFIXES
    label_words: tuple[str, ...] = LABEL_WORDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "suffixes", words_option("suffixes", self.suffixes))
        object.__setattr__(self, "label_words", words_option("label_words", self.label_words))

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        failures = _label_failure(value, self.label_words)
        name = fold_text(value).upper().rstrip(_TRAILING_PUNCTUATION)
        endings = {fold_text(s).upper().rstrip(_TRAILING_PUNCTUATION) for s in self.suffixes}
        if self.suffixes and not any(name.endswith(e) for e in endings if e):
            failures.append(
                RuleFailure("company_suffix", msg.COMPANY_SUFFIX, {"value": msg.quoted(value)})
            )
        return failures


@register
@dataclass(frozen=True)
class PersonNameRule(Rule):
    """A person's name: 2-4 hanzi (or two parts joined by ·), or Latin letters; no digits."""

    code = "person_name"
    label_words: tuple[str, ...] = LABEL_WORDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "label_words", words_option("label_words", self.label_words))

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        failures = _label_failure(value, self.label_words)
        compact = value.replace(" ", "") if not value.isascii() else value
        if not (_HANZI_NAME_RE.fullmatch(compact) or _LATIN_NAME_RE.fullmatch(compact)):
            failures.append(
                RuleFailure(
                    "person_name_format", msg.PERSON_NAME_FORMAT, {"value": msg.quoted(value)}
                )
            )
        return failures


@register
@dataclass(frozen=True)
class AddressRule(Rule):
    """An address: at least ``min_length`` characters, naming a place (省/市/区/路/号 …) or, in
    Latin script, carrying a house or postal number; no label text inside."""

    code = "address"
    min_length: int = 6
    label_words: tuple[str, ...] = LABEL_WORDS

    def __post_init__(self) -> None:
        int_option("min_length", self.min_length, minimum=1)
        object.__setattr__(self, "label_words", words_option("label_words", self.label_words))

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        # "NO: 12, JALAN …": a colon is part of many addresses, unlike names.
        failures = _label_failure(value, self.label_words, colon=False)
        if len(value.replace(" ", "")) < self.min_length:
            failures.append(
                RuleFailure(
                    "address_length",
                    msg.ADDRESS_LENGTH,
                    {"min": str(self.min_length), "value": msg.quoted(value)},
                )
            )
        elif not (any(c in _HANZI_ADDRESS_MARKS for c in value) or any(c.isdigit() for c in value)):
            failures.append(
                RuleFailure("address_format", msg.ADDRESS_FORMAT, {"value": msg.quoted(value)})
            )
        return failures
