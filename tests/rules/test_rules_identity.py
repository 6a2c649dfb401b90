from __future__ import annotations

from datetime import date

import pytest

from documents.rules import CreditCodeRule, FieldContext, IdNumberRule, run_rules

TODAY = date(2024, 5, 1)


def id_ctx() -> FieldContext:
    return FieldContext(kind="id_number", today=TODAY)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002X",
        "11010519491231002x",
        "110101199003071233",
        "440304198511200013",
        "310115200002290048",
        "510108190001010013",
        " 11010519491231002X ",
    ],
)
def test_id_number_rule_accepts_valid_ids(number):
    assert IdNumberRule().check(number.strip().upper(), id_ctx()) == []
    assert run_rules(number, id_ctx(), [IdNumberRule()]).passed


@pytest.mark.parametrize(
    ("number", "codes"),
    [
        ("1101051949123100", ["id_length"]),
        ("11010519491231002X1", ["id_length"]),
        ("110105194912310O2X", ["id_format"]),
        ("1101051949123100XX", ["id_format"]),
        ("11010519491231002Y", ["id_format"]),
        ("110105194912310021", ["id_checksum"]),
        ("010105194912310026", ["id_region"]),
        ("110105194913310021", ["id_birth_date"]),
        ("110105189912310027", ["id_birth_date", "id_checksum"]),
        ("650102202312310038", []),
        ("65010220240502003X", ["id_birth_date"]),
    ],
)
def test_id_number_rule_reports_each_problem_with_its_own_code(number, codes):
    assert [f.code for f in IdNumberRule().check(number, id_ctx())] == codes


def test_a_wrong_length_id_lowers_confidence_as_clerks_expect():
    (failure,) = IdNumberRule().check("1101051949123100", id_ctx())
    assert failure.confidence_factor == pytest.approx(0.6)
    assert "18" in failure.message and "16" in failure.message


def test_an_id_checksum_failure_names_the_expected_and_the_read_character():
    (failure,) = IdNumberRule().check("110105194912310021", id_ctx())
    assert "X" in failure.message and "1" in failure.message
    assert failure.confidence_factor == 1.0


def test_an_id_born_after_the_context_date_is_in_the_future():
    (failure,) = IdNumberRule().check("65010220240502003X", id_ctx())
    assert failure.code == "id_birth_date" and "future" in failure.message
    later = FieldContext(kind="id_number", today=date(2024, 5, 2))
    assert IdNumberRule().check("65010220240502003X", later) == []


def test_id_number_rule_uppercases_a_lowercase_x_in_the_normalized_value():
    outcome = run_rules("11010519491231002x", id_ctx(), [IdNumberRule()])
    assert outcome.normalized == "11010519491231002X"


@pytest.mark.parametrize(
    "code",
    ["91350100M000100Y43", "91350100m000100y43", "91110000600037341L", "12100000400000770U"],
)
def test_credit_code_rule_accepts_valid_codes(code):
    assert CreditCodeRule().check(code, FieldContext(kind="credit_code")) == []


@pytest.mark.parametrize(
    ("code", "failure_code", "in_message"),
    [
        ("91350100M000100Y4", "credit_code_length", "17"),
        ("91350100M000100Y433", "credit_code_length", "19"),
        ("91350100I000100Y43", "credit_code_charset", "I"),
        ("9135O100M000100Y43", "credit_code_charset", "O"),
        ("91350100M000100Y4Z", "credit_code_charset", "Z"),
        ("91350100M000100Y44", "credit_code_checksum", "3"),
    ],
)
def test_credit_code_rule_reports_length_charset_and_checksum(code, failure_code, in_message):
    (failure,) = CreditCodeRule().check(code, FieldContext(kind="credit_code"))
    assert failure.code == failure_code
    assert in_message in failure.message


def test_credit_code_rule_uppercases_the_normalized_value():
    outcome = run_rules("91350100m000100y43", FieldContext(kind="credit_code"), [CreditCodeRule()])
    assert outcome.passed and outcome.normalized == "91350100M000100Y43"
