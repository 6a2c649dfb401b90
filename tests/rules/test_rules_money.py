from __future__ import annotations

from decimal import Decimal

import pytest

from documents.rules import AmountInWordsRule, AmountRule, FieldContext, run_rules

AMOUNT = FieldContext(kind="amount")


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("¥8,650.00", "8650.00"),
        ("￥8,650.00", "8650.00"),
        ("¥ 8,650.00", "8650.00"),
        ("８６５０", "8650.00"),
        ("8650", "8650.00"),
        ("8650.5", "8650.50"),
        ("0.05", "0.05"),
        ("1,234,567.89", "1234567.89"),
        ("¥1234567.89", "1234567.89"),
    ],
)
def test_amount_rule_accepts_grouped_or_plain_figures_and_normalizes_them(value, normalized):
    outcome = run_rules(value, AMOUNT, [AmountRule()])
    assert outcome.failures == ()
    assert outcome.normalized == normalized


@pytest.mark.parametrize(
    "value",
    ["8,65.00", "86,50.00", "8650.001", "8650.", ".50", "¥", "8650元", "-8650", "8 650", "abc"],
)
def test_amount_rule_rejects_malformed_figures_with_amount_format(value):
    outcome = run_rules(value, AMOUNT, [AmountRule()])
    assert [f.code for f in outcome.failures] == ["amount_format"]
    assert outcome.normalized == value.strip()


@pytest.mark.parametrize(
    ("options", "value", "codes"),
    [
        ({"min": 100}, "100.00", []),
        ({"min": 100}, "99.99", ["amount_range"]),
        ({"max": "5000.00"}, "5,000.00", []),
        ({"max": "5000.00"}, "5,000.01", ["amount_range"]),
        ({"min": 0.01, "max": 10}, "0.00", ["amount_range"]),
        ({"min": 0.01, "max": 10}, "10", []),
    ],
)
def test_amount_rule_checks_the_configured_range(options, value, codes):
    assert [f.code for f in AmountRule(**options).check(value, AMOUNT)] == codes


def test_an_amount_out_of_range_message_shows_amount_and_bound():
    (failure,) = AmountRule(max=5000).check("8650", AMOUNT)
    assert "8,650.00" in failure.message and "5,000.00" in failure.message
    assert "above" in failure.message


def test_amount_rule_turns_json_numbers_into_decimals():
    assert AmountRule(min=0.1, max="2").min == Decimal("0.1")
    assert AmountRule(min=0.1, max="2").max == Decimal(2)


def words_ctx(amount: str | None) -> FieldContext:
    others = {} if amount is None else {"amount_small": amount}
    return FieldContext(kind="amount_in_words", other_values=others)


@pytest.mark.parametrize(
    ("words", "figures"),
    [
        ("捌仟陆佰伍拾元整", "¥8,650.00"),
        ("人民币捌仟陆佰伍拾圆正", "8650"),
        ("壹万零伍元叁角整", "10005.30"),
        ("伍分", "0.05"),
        ("壹亿零壹万元零壹分", "100,010,000.01"),
        ("捌仟陆佰伍拾元整", "￥８，６５０．００"),
    ],
)
def test_amount_in_words_rule_accepts_words_that_equal_the_figures(words, figures):
    rule = AmountInWordsRule(matches="amount_small")
    assert run_rules(words, words_ctx(figures), [rule]).passed


@pytest.mark.parametrize(
    "words", ["捌仟陆佰伍伍拾元整", "8650", "捌仟陆佰伍拾", "捌千陆百伍拾元整"]
)
def test_amount_in_words_rule_rejects_malformed_capitals(words):
    (failure,) = AmountInWordsRule().check(words, words_ctx(None))
    assert failure.code == "amount_words_format"


def test_amount_in_words_mismatch_message_shows_both_values():
    rule = AmountInWordsRule(matches="amount_small")
    (failure,) = rule.check("捌仟伍佰陆拾元整", words_ctx("8,650.00"))
    assert failure.code == "amount_words_mismatch"
    assert "8,560.00" in failure.message and "8,650.00" in failure.message
    assert "捌仟伍佰陆拾元整" in failure.message


@pytest.mark.parametrize("figures", [None, "", "garbled"])
def test_amount_in_words_rule_leaves_a_missing_or_unreadable_amount_to_its_own_rule(figures):
    rule = AmountInWordsRule(matches="amount_small")
    assert rule.check("捌仟陆佰伍拾元整", words_ctx(figures)) == []


def test_amount_in_words_rule_without_matches_only_checks_the_capitals():
    assert AmountInWordsRule().check("捌仟伍佰陆拾元整", words_ctx("8650.00")) == []
