from __future__ import annotations

import random
from decimal import Decimal

import pytest

from documents.rules import amount_to_chinese, format_amount, parse_amount, parse_chinese_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("¥8,650.00", "8650.00"),
        ("￥8,650.00", "8650.00"),
        ("8650.00", "8650.00"),
        ("8650", "8650.00"),
        ("8650.5", "8650.50"),
        ("1,234,567.89", "1234567.89"),
        (" 0.05 ", "0.05"),
    ],
)
def test_parse_amount_reads_grouped_and_plain_figures(text, amount):
    assert parse_amount(text) == Decimal(amount)


@pytest.mark.parametrize("text", ["", "abc", "8,65.00", "8650.001", "1,2345.00", "¥", "8650元"])
def test_parse_amount_rejects_what_is_not_an_amount(text):
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({}, "8,650.00"),
        ({"symbol": True}, "¥8,650.00"),
        ({"grouping": False}, "8650.00"),
        ({"symbol": True, "grouping": False}, "¥8650.00"),
    ],
)
def test_format_amount_writes_two_decimals_with_optional_symbol_and_grouping(kwargs, text):
    assert format_amount(Decimal(8650), **kwargs) == text


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("8650", "捌仟陆佰伍拾元整"),
        ("10005.30", "壹万零伍元叁角整"),
        ("0.05", "伍分"),
        ("0.30", "叁角整"),
        ("0", "零元整"),
        ("10", "壹拾元整"),
        ("1010", "壹仟零壹拾元整"),
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
        ("100000", "壹拾万元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("100010000.01", "壹亿零壹万元零壹分"),
        ("100000005", "壹亿零伍元整"),
        ("1000100000000", "壹万零壹亿元整"),
        ("123456789012.34", "壹仟贰佰叁拾肆亿伍仟陆佰柒拾捌万玖仟零壹拾贰元叁角肆分"),
    ],
)
def test_amount_to_chinese_follows_bank_practice(amount, capitals):
    assert amount_to_chinese(Decimal(amount)) == capitals
    assert parse_chinese_amount(capitals) == Decimal(amount)


@pytest.mark.parametrize("bad", [Decimal(-1), Decimal("1e16"), "abc"])
def test_amount_to_chinese_refuses_negative_huge_or_unreadable_amounts(bad):
    with pytest.raises(ValueError):
        amount_to_chinese(bad)


def test_amount_to_chinese_and_parse_chinese_amount_round_trip_for_many_values():
    rng = random.Random(20240307)
    for _ in range(3000):
        digits = rng.choice([2, 4, 6, 9, 12, 15, 17])
        cents = rng.randrange(10**digits)
        if rng.random() < 0.5:
            # Zeros inside numbers are where capitals go wrong; make them common.
            cents = int("".join(c if rng.random() < 0.6 else "0" for c in str(cents)))
        amount = Decimal(cents) / 100
        assert parse_chinese_amount(amount_to_chinese(amount)) == amount, amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("人民币捌仟陆佰伍拾圆正", "8650.00"),
        ("捌仟 陆佰伍拾元整", "8650.00"),
        ("拾伍万元整", "150000.00"),
        ("壹拾万零柒仟元伍角叁分", "107000.53"),
        ("壹仟陆佰捌拾元零叁角贰分", "1680.32"),
        ("壹亿壹万元整", "100010000.00"),
        ("捌仟元", "8000.00"),
        ("叁角伍分", "0.35"),
        ("貳拾元整", "20.00"),
    ],
)
def test_parse_chinese_amount_accepts_the_variants_bank_practice_allows(text, amount):
    assert parse_chinese_amount(text) == Decimal(amount)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "捌仟陆佰伍拾",
        "8650元",
        "捌仟陆佰伍伍拾元整",
        "捌仟陆佰陆佰伍拾元整",
        "陆佰捌仟元整",
        "壹仟伍元整",
        "壹佰零伍拾元整",
        "壹仟零零伍元整",
        "壹万伍元整",
        "壹亿伍元整",
        "壹佰零元整",
        "元伍角",
        "捌仟元伍分伍角",
        "捌仟元伍角伍角",
        "壹万万元整",
        "整",
        "捌仟陆佰伍拾元整abc",
    ],
)
def test_parse_chinese_amount_rejects_misreads_and_malformed_capitals(text):
    with pytest.raises(ValueError):
        parse_chinese_amount(text)
