from __future__ import annotations

import pytest

from documents.rules import (
    gb11643_check_digit,
    gb11643_valid,
    luhn_check_digit,
    luhn_valid,
    uscc_check_char,
    uscc_valid,
)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("110101199003071233", True),
        ("440304198511200013", True),
        ("310115200002290048", True),
        ("110105194912310021", False),
        ("110101199003071234", False),
        ("11010519491231002", False),
        ("11010519491231002X0", False),
        ("1101051949123100AX", False),
        ("1101051949123100²X", False),
        ("１10105194912310021", False),
        ("", False),
    ],
)
def test_gb11643_valid_accepts_only_ids_with_the_right_check_character(number, valid):
    assert gb11643_valid(number) is valid


@pytest.mark.parametrize(
    ("first17", "check"),
    [("11010519491231002", "X"), ("11010119900307123", "3"), ("44030419851120001", "3")],
)
def test_gb11643_check_digit_computes_the_mod_11_2_character(first17, check):
    assert gb11643_check_digit(first17) == check


@pytest.mark.parametrize("bad", ["1101051949123100", "1101051949123100A", "１1010519491231002"])
def test_gb11643_check_digit_refuses_anything_but_17_ascii_digits(bad):
    with pytest.raises(ValueError, match="17 digits"):
        gb11643_check_digit(bad)


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),
        ("91350100m000100y43", True),
        ("91110000600037341L", True),
        ("91310000MA1FL0001R", True),
        ("12100000400000770U", True),
        ("91350100M000100Y44", False),
        ("91350100M000100Y4", False),
        ("91350100I000100Y43", False),
        ("91350100O000100Y43", False),
        ("", False),
    ],
)
def test_uscc_valid_accepts_only_codes_with_the_right_check_character(code, valid):
    assert uscc_valid(code) is valid


def test_uscc_check_char_computes_the_mod_31_character():
    assert uscc_check_char("91350100M000100Y4") == "3"
    assert uscc_check_char("91440300708461136") == "T"


@pytest.mark.parametrize("bad", ["91350100M000100Y", "91350100M00010OY4"])
def test_uscc_check_char_refuses_anything_but_17_alphabet_characters(bad):
    with pytest.raises(ValueError, match="USCC alphabet"):
        uscc_check_char(bad)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("5499999999999998", True),
        ("6222021234567890128", True),
        ("6217000000000000004", True),
        ("79927398713", True),
        ("4111111111111112", False),
        ("6222021234567890123", False),
        ("7", False),
        ("41111111111111a1", False),
        ("", False),
    ],
)
def test_luhn_valid_accepts_only_numbers_with_the_right_last_digit(number, valid):
    assert luhn_valid(number) is valid


def test_luhn_check_digit_completes_a_partial_number():
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("622202123456789012") == "8"


def test_luhn_check_digit_refuses_non_digits():
    with pytest.raises(ValueError, match="digits"):
        luhn_check_digit("12a4")
