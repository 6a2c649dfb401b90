"""Rules across fields (total = sum of its parts, 大写 = 小写, buyer ≠ seller), checks that vouch
for a value, and day-first dates."""

from __future__ import annotations

from datetime import date

import pytest

from documents.rules import (
    FieldContext,
    RuleConfigError,
    build_rules,
    needs_review,
    parse_date,
    run_rules,
    validate_config,
)

INVOICE = {
    "amount_total": "272.25",
    "tax_total": "35.39",
    "total": "307.64",
    "total_in_words": "叁佰零柒圆陆角肆分",
    "buyer_name": "湖北十优信息科技发展有限责任公司",
    "seller_name": "道达尔能源销售(湖北)有限公司",
}


def outcome(value: str, kind: str, rules: list[dict], others=INVOICE):
    ctx = FieldContext(kind=kind, other_values=others, today=date(2026, 1, 1))
    return run_rules(value, ctx, build_rules(kind, {"rules": rules}))


def codes(value, kind, rules, others=INVOICE) -> list[str]:
    return [f.code for f in outcome(value, kind, rules, others).failures]


SUM = {"rule": "sum_of", "fields": ["amount_total", "tax_total"]}


def test_a_total_equal_to_the_sum_of_its_parts_passes_and_a_different_one_fails():
    assert codes("307.64", "amount", [SUM]) == []
    assert codes("¥307.64", "amount", [SUM]) == []
    assert codes("307.46", "amount", [SUM]) == ["sum_mismatch"]


def test_a_part_is_checked_against_the_total_and_the_other_parts():
    rule = {"rule": "sum_of", "total": "total", "fields": ["amount_total"]}
    assert codes("35.39", "amount", [rule]) == []
    failure = outcome("35.30", "amount", [rule]).failures[0]
    assert failure.code == "sum_mismatch" and "272.25" in failure.message


def test_a_sum_is_not_compared_where_a_part_was_not_printed_or_not_read():
    missing = {**INVOICE, "tax_total": ""}
    assert codes("1.00", "amount", [SUM], missing) == []
    garbled = {**INVOICE, "tax_total": "***"}
    assert codes("1.00", "amount", [SUM], garbled) == []


def test_a_sum_may_allow_a_tolerance_and_read_parts_in_capitals():
    rule = {**SUM, "tolerance": "0.01"}
    assert codes("307.65", "amount", [rule]) == []
    words = {"rule": "sum_of", "fields": ["total_in_words"]}
    assert codes("307.64", "amount", [words]) == []


def test_figures_must_match_capitals_and_capitals_figures():
    match = {"rule": "amount_matches", "field": "total_in_words"}
    assert codes("307.64", "amount", [match]) == []
    assert codes("307.65", "amount", [match]) == ["amount_mismatch"]
    words = {"rule": "amount_in_words", "matches": "total"}
    assert codes("叁佰零柒圆陆角肆分", "amount_in_words", [words]) == []
    assert codes("叁佰零柒圆陆角伍分", "amount_in_words", [words]) == ["amount_words_mismatch"]


def test_buyer_and_seller_must_differ():
    rule = {"rule": "differs_from", "field": "seller_name"}
    assert codes("湖北十优信息科技发展有限责任公司", "company", [rule]) == []
    same = codes("道达尔能源销售(湖北) 有限公司", "company", [rule])
    assert same == ["same_as_other_field"]


@pytest.mark.parametrize(
    ("value", "kind", "rule"),
    [
        ("307.64", "amount", {**SUM, "residual_error": 0.05}),
        ("307.64", "amount", {"rule": "amount_matches", "field": "total_in_words",
                              "residual_error": 0.05}),
        ("叁佰零柒圆陆角肆分", "amount_in_words", {"rule": "amount_in_words", "matches": "total",
                                             "residual_error": 0.05}),
        ("91420100MA7HTDC99N", "credit_code", {"rule": "credit_code", "residual_error": 0.05}),
        ("11010519491231002X", "id_number", {"rule": "id_number", "residual_error": 0.05}),
    ],
)  # fmt: skip
def test_a_check_that_verified_the_value_lowers_the_confidence_it_needs(value, kind, rule):
    checked = outcome(value, kind, [rule])
    assert checked.passed and checked.residual_error == 0.05
    # 0.80 alone is under 0.95; wrong only if the reading is (0.2) and the check missed it (0.05).
    assert needs_review(0.80, 0.95, checked) == []
    assert [r["code"] for r in needs_review(0.80, 0.95, outcome(value, kind, []))] == [
        "low_confidence"
    ]


def test_a_check_that_fails_or_compares_nothing_vouches_for_nothing():
    rule = {**SUM, "residual_error": 0.05}
    assert outcome("300.00", "amount", [rule]).residual_error == 1.0
    assert outcome("300.00", "amount", [rule], {}).residual_error == 1.0
    plain = outcome("91420100MA7HTDC99N", "credit_code", [{"rule": "credit_code"}])
    assert plain.residual_error == 1.0


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15/06/2017", date(2017, 6, 15)),
        ("08/05/18", date(2018, 5, 8)),
        ("3-6-2018", date(2018, 6, 3)),
        ("2018-03-23", date(2018, 3, 23)),
    ],
)
def test_day_first_dates_are_read_only_when_asked(text, day):
    assert parse_date(text, day_first=True) == day
    assert codes(text, "date", [{"rule": "date", "day_first": True}]) == []
    assert (
        outcome(text, "date", [{"rule": "date", "day_first": True}]).normalized == day.isoformat()
    )


def test_without_day_first_a_day_first_date_is_refused():
    with pytest.raises(ValueError):
        parse_date("15/06/2017")
    with pytest.raises(ValueError):
        parse_date("31/02/2018", day_first=True)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"rules": [{"rule": "sum_of"}]}, "'fields' must be a non-empty list"),
        ({"rules": [{"rule": "sum_of", "fields": ["a"], "total": ""}]}, "'total' must be"),
        ({"rules": [{"rule": "sum_of", "fields": ["a"], "residual_error": 0}]}, "more than 0"),
        ({"rules": [{"rule": "amount_matches"}]}, "'field' must be a non-empty string"),
        ({"rules": [{"rule": "differs_from", "field": 3}]}, "'field' must be"),
        ({"rules": [{"rule": "credit_code", "residual_error": 2}]}, "at most 1"),
        ({"rules": [{"rule": "date", "day_first": "yes"}]}, "'day_first' must be true or false"),
        ({"rules": [{"rule": "company_name", "suffixes": "公司"}]}, "'suffixes' must be a list"),
        ({"rules": [{"rule": "address", "min_length": 0}]}, "'min_length' must be at least 1"),
    ],
)
def test_bad_options_of_the_new_rules_are_refused(config, message):
    with pytest.raises(RuleConfigError, match=message):
        validate_config(config)
