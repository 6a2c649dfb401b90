from __future__ import annotations

import pytest

from documents.rules import (
    BankCardRule,
    ChoicesRule,
    FieldContext,
    LengthRule,
    PhoneRule,
    RegexRule,
    RequiredRule,
    luhn_applies,
    run_rules,
)

TEXT = FieldContext(kind="text")


@pytest.mark.parametrize(
    ("value", "required", "codes"),
    [
        ("", True, ["required"]),
        ("   ", True, ["required"]),
        ("\u3000", True, ["required"]),
        ("x", True, []),
        ("", False, []),
    ],
)
def test_required_rule_fails_only_an_empty_required_field(value, required, codes):
    ctx = FieldContext(kind="text", required=required)
    assert [f.code for f in run_rules(value, ctx, [RequiredRule()]).failures] == codes


def test_an_empty_optional_field_passes_every_other_rule():
    rules = [RequiredRule(), RegexRule(pattern=r"\d+"), LengthRule(min=3), ChoicesRule(["A"])]
    assert run_rules("  ", TEXT, rules).passed


def test_an_empty_required_field_reports_only_that_it_is_required():
    ctx = FieldContext(kind="text", required=True)
    rules = [RequiredRule(), RegexRule(pattern=r"\d+"), LengthRule(min=3)]
    assert [f.code for f in run_rules("", ctx, rules).failures] == ["required"]


@pytest.mark.parametrize(
    ("pattern", "value", "passes"),
    [
        (r"^\d{12}$", "123456789012", True),
        (r"\d{12}", "123456789012", True),
        (r"\d{12}", "1234567890123", False),
        (r"\d{12}", "x123456789012", False),
        (r"[A-Z]{2}\d+", "AB12", True),
        (r"[A-Z]{2}\d+", "ＡＢ１２", True),
        (r"[A-Z]{2}\d+", "ab12", False),
    ],
)
def test_regex_rule_requires_a_full_match_of_the_folded_value(pattern, value, passes):
    outcome = run_rules(value, TEXT, [RegexRule(pattern=pattern)])
    assert outcome.passed is passes
    assert all(f.code == "regex" for f in outcome.failures)


def test_regex_rule_shows_the_configured_message():
    (failure,) = RegexRule(pattern=r"\d{12}", message="12 digits, please").check("1", TEXT)
    assert failure.message == "12 digits, please"


def test_regex_rule_has_a_default_message_naming_the_value():
    (failure,) = RegexRule(pattern=r"\d{12}").check("12ab", TEXT)
    assert "12ab" in failure.message


@pytest.mark.parametrize(
    ("options", "value", "passes", "in_message"),
    [
        ({"min": 8, "max": 8}, "12345678", True, ""),
        ({"min": 8, "max": 8}, "1234567", False, "exactly 8"),
        ({"min": 2}, "ab", True, ""),
        ({"min": 2}, "a", False, "at least 2"),
        ({"max": 3}, "abc", True, ""),
        ({"max": 3}, "abcd", False, "at most 3"),
        ({"min": 2, "max": 4}, "abcde", False, "2 to 4"),
        ({"min": 2, "max": 4}, "中文字", True, ""),
    ],
)
def test_length_rule_counts_characters_against_min_and_max(options, value, passes, in_message):
    failures = LengthRule(**options).check(value, TEXT)
    assert (failures == []) is passes
    if not passes:
        (failure,) = failures
        assert failure.code == "length"
        assert in_message in failure.message


@pytest.mark.parametrize(
    ("values", "value", "passes"),
    [
        (["CNY", "USD"], "CNY", True),
        (["CNY", "USD"], "ＵＳＤ", True),
        (["ＣＮＹ"], "CNY", True),
        (["CNY", "USD"], "cny", False),
        (["CNY", "USD"], "EUR", False),
        (["现金", "转账"], "转账", True),
    ],
)
def test_choices_rule_accepts_only_listed_values_after_folding(values, value, passes):
    outcome = run_rules(value, TEXT, [ChoicesRule(values=values)])
    assert outcome.passed is passes
    assert all(f.code == "choices" for f in outcome.failures)


def test_choices_rule_message_lists_the_allowed_values():
    (failure,) = ChoicesRule(values=["CNY", "USD"]).check("EUR", TEXT)
    assert "CNY, USD" in failure.message and "EUR" in failure.message


PHONE = FieldContext(kind="phone")


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("13800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "01012345678"),
        ("0755-1234567", "0755-1234567"),
        ("0755 12345678", "0755-12345678"),
        ("(0755) 12345678", "0755-12345678"),
        ("（010）12345678", "010-12345678"),
    ],
)
def test_phone_rule_accepts_mobile_and_landline_numbers(value, normalized):
    outcome = run_rules(value, PHONE, [PhoneRule()])
    assert outcome.failures == ()
    assert outcome.normalized == normalized


@pytest.mark.parametrize(
    "value",
    ["12800138000", "1380013800", "138001380001", "010-123456", "10-12345678", "phone", "0"],
)
def test_phone_rule_rejects_other_numbers_with_phone_format(value):
    outcome = run_rules(value, PHONE, [PhoneRule()])
    assert [f.code for f in outcome.failures] == ["phone_format"]
    assert outcome.normalized == value


ACCOUNT = FieldContext(kind="account")


@pytest.mark.parametrize(
    ("options", "value", "codes"),
    [
        ({}, "6222021234567890128", []),
        ({}, "6222 0212 3456 7890 128", []),
        ({}, "6222021234567890123", []),
        ({}, "1234567890", []),
        ({}, "123456789", ["account_format"]),
        ({}, "1" * 31, ["account_format"]),
        ({}, "62220212345678901A8", ["account_format"]),
        ({}, "6222-0212-3456-7890", ["account_format"]),
        ({"min": 16, "max": 19}, "622202123456789", ["account_format"]),
        ({"luhn": True}, "6222021234567890128", []),
        ({"luhn": True}, "6222021234567890123", ["account_luhn"]),
        ({"luhn": True}, "1234567890", ["account_luhn"]),
        ({"luhn": "auto"}, "6222021234567890123", ["account_luhn"]),
        ({"luhn": "auto"}, "4111111111111112", ["account_luhn"]),
        ({"luhn": "auto"}, "5499999999999999", ["account_luhn"]),
        ({"luhn": "auto"}, "4111111111111111", []),
        ({"luhn": "auto"}, "1234567890123456", []),
        ({"luhn": "auto"}, "622202123456789", []),
        ({"luhn": False}, "4111111111111112", []),
    ],
)
def test_bank_card_rule_checks_digits_length_and_luhn_where_it_applies(options, value, codes):
    outcome = run_rules(value, ACCOUNT, [BankCardRule(**options)])
    assert [f.code for f in outcome.failures] == codes


def test_bank_card_rule_removes_spaces_in_the_normalized_value():
    outcome = run_rules(" 6222 0212 3456 7890 128 ", ACCOUNT, [BankCardRule()])
    assert outcome.normalized == "6222021234567890128"


def test_an_account_luhn_failure_names_the_expected_last_digit():
    (failure,) = BankCardRule(luhn=True).check("6222021234567890123", ACCOUNT)
    assert "8" in failure.message and "3" in failure.message


@pytest.mark.parametrize(
    ("digits", "mode", "applies"),
    [
        ("6222021234567890128", "auto", True),
        ("4111111111111111", "auto", True),
        ("5499999999999998", "auto", True),
        ("622202123456789", "auto", False),
        ("62220212345678901234", "auto", False),
        ("3530111333300000", "auto", False),
        ("1234567890", True, True),
        ("6222021234567890128", False, False),
    ],
)
def test_luhn_applies_in_auto_mode_only_to_card_shaped_numbers(digits, mode, applies):
    assert luhn_applies(digits, mode) is applies
