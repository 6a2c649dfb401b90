"""Generated bill values pass the same rules the application validates them with."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from billtext.amounts import parse_amount, parse_chinese_amount
from billtext.checksums import gb11643_valid, uscc_valid
from recognition.engine.textgen import LABELS, NUMERIC_CATEGORIES, ValueGenerator

SEEDS = range(40)


def test_generated_id_numbers_pass_the_gb11643_check():
    gen = ValueGenerator(1)
    for _ in range(200):
        number = gen.id_number()
        assert gb11643_valid(number), number
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert date(1950, 1, 1) <= born < date(2006, 1, 1), number


def test_generated_credit_codes_pass_the_uscc_check():
    gen = ValueGenerator(2)
    codes = [gen.credit_code() for _ in range(200)]
    assert [c for c in codes if not uscc_valid(c)] == []


def test_amounts_in_words_parse_back_to_the_amount_they_were_made_from():
    for seed in SEEDS:
        # Two generators on one seed draw the same value first, one as a number, one in words.
        value = ValueGenerator(seed).amount_value()
        words = ValueGenerator(seed).amount_words()
        assert parse_chinese_amount(words) == value, (seed, words)
        assert value > 0 and value == value.quantize(Decimal("0.01"))


def test_every_amount_in_words_is_a_valid_amount():
    gen = ValueGenerator(3)
    for _ in range(200):
        words = gen.amount_words()
        assert parse_chinese_amount(words) > 0, words


def test_amounts_in_figures_parse_back_to_the_amount_they_were_made_from():
    for seed in SEEDS:
        value = ValueGenerator(seed).amount_value()
        text = ValueGenerator(seed).amount()
        assert parse_amount(text.removesuffix("元")) == value, (seed, text)


@pytest.mark.parametrize("seed", range(10))
def test_phone_numbers_are_mobile_or_area_code_numbers(seed):
    phone = ValueGenerator(seed).phone()
    assert re.fullmatch(r"1[3-9]\d{9}|0\d{2,3}-[1-9]\d{6,7}", phone), phone


@pytest.mark.parametrize("seed", range(10))
def test_account_numbers_are_16_to_19_digits_optionally_grouped_by_four(seed):
    account = ValueGenerator(seed).account()
    digits = account.replace(" ", "")
    assert digits.isdigit() and 16 <= len(digits) <= 19
    if " " in account:
        assert all(len(group) == 4 for group in account.split(" ")[:-1])


@pytest.mark.parametrize("seed", range(10))
def test_label_values_start_with_a_known_label(seed):
    text = ValueGenerator(seed).label_value()
    labels = {label for group in LABELS.values() for label in group}
    assert any(text.startswith(label) for label in labels), text


def test_every_numeric_category_has_a_generator():
    assert set(NUMERIC_CATEGORIES) <= set(ValueGenerator(0).generators())


def _draw_all(seed: int) -> dict[str, list[str]]:
    generators = ValueGenerator(seed).generators()
    return {name: [fn() for _ in range(3)] for name, fn in generators.items()}


def test_values_are_deterministic_per_seed():
    assert _draw_all(5) == _draw_all(5)


def test_different_seeds_give_different_values():
    a, b = _draw_all(5), _draw_all(6)
    differing = [name for name in a if a[name] != b[name]]
    assert len(differing) >= len(a) - 1
