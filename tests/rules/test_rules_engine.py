from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from documents.rules import (
    DEFAULT_RULES,
    KINDS,
    REASON_LOW_CONFIDENCE,
    REASON_MISSING,
    RULES,
    AddressRule,
    AmountInWordsRule,
    AmountRule,
    BankCardRule,
    CompanyNameRule,
    DateRule,
    FieldContext,
    IdNumberRule,
    LengthRule,
    PersonNameRule,
    RegexRule,
    RequiredRule,
    RuleConfigError,
    RuleFailure,
    RuleOutcome,
    build_rules,
    needs_review,
    run_rules,
    validate_config,
)

REPO = Path(__file__).resolve().parents[2]

# One example per rule, as an admin would store it on a FieldSpec.
EXAMPLE_CONFIGS = {
    "required": {"rule": "required"},
    "regex": {"rule": "regex", "pattern": "^\\d{12}$", "message": "12 digits"},
    "length": {"rule": "length", "min": 8, "max": 8},
    "choices": {"rule": "choices", "values": ["现金", "转账"]},
    "phone": {"rule": "phone"},
    "account": {"rule": "account", "min": 16, "max": 19, "luhn": "auto"},
    "id_number": {"rule": "id_number"},
    "credit_code": {"rule": "credit_code"},
    "amount": {"rule": "amount", "min": "0.01", "max": 1000000},
    "amount_in_words": {"rule": "amount_in_words", "matches": "amount_small"},
    "date": {"rule": "date", "min": "2000-01-01", "max_days_ahead": 0, "day_first": False},
    "company_name": {"rule": "company_name", "suffixes": ["有限公司", "SDN BHD"]},
    "person_name": {"rule": "person_name", "label_words": ["姓名"]},
    "address": {"rule": "address", "min_length": 8},
    "sum_of": {"rule": "sum_of", "fields": ["amount", "tax"], "tolerance": "0.01"},
    "amount_matches": {"rule": "amount_matches", "field": "total_in_words", "residual_error": 0.05},
    "differs_from": {"rule": "differs_from", "field": "seller_name"},
}


def test_every_registered_rule_has_an_example_config_that_validates():
    assert set(EXAMPLE_CONFIGS) == set(RULES)
    config = json.loads(json.dumps({"rules": list(EXAMPLE_CONFIGS.values())}))
    validate_config(config)


@pytest.mark.parametrize("config", [None, {}, {"rules": []}])
def test_an_empty_config_is_valid(config):
    validate_config(config)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ([], "must be an object"),
        ("regex", "must be an object"),
        ({"rule": "regex"}, "unknown configuration key"),
        ({"rules": {"rule": "regex"}}, '"rules" must be a list'),
        ({"rules": ["regex"]}, r"rules\[0\]: each rule must be an object"),
        ({"rules": [{"pattern": "x"}]}, r"rules\[0\]: unknown rule None; known rules: account"),
        ({"rules": [{"rule": "regexp"}]}, "unknown rule 'regexp'"),
        ({"rules": [{"rule": ["regex"]}]}, r"unknown rule \['regex'\]"),
        ({"rules": [{"rule": "regex", "pattern": "x", "flags": "i"}]}, "no option 'flags'"),
        ({"rules": [{"rule": "phone", "mobile": True}]}, "no option 'mobile'; allowed: none"),
        ({"rules": [{"rule": "regex"}]}, "'pattern' must be a non-empty string"),
        ({"rules": [{"rule": "regex", "pattern": "("}]}, "invalid pattern '\\('"),
        ({"rules": [{"rule": "regex", "pattern": 12}]}, "'pattern' must be a non-empty string"),
        ({"rules": [{"rule": "regex", "pattern": "x", "message": 3}]}, "'message' must be"),
        ({"rules": [{"rule": "length"}]}, "give 'min', 'max' or both"),
        ({"rules": [{"rule": "length", "min": "8"}]}, "'min' must be a whole number"),
        ({"rules": [{"rule": "length", "min": True}]}, "'min' must be a whole number"),
        ({"rules": [{"rule": "length", "min": 1.5}]}, "'min' must be a whole number"),
        ({"rules": [{"rule": "length", "max": -1}]}, "'max' must be at least 0"),
        ({"rules": [{"rule": "length", "min": 9, "max": 8}]}, r"'min' \(9\) is greater"),
        ({"rules": [{"rule": "choices", "values": []}]}, "non-empty list of strings"),
        ({"rules": [{"rule": "choices", "values": "AB"}]}, "non-empty list of strings"),
        ({"rules": [{"rule": "choices", "values": ["A", 1]}]}, "'values\\[\\]' must be"),
        ({"rules": [{"rule": "account", "luhn": "yes"}]}, "'luhn' must be true, false or"),
        ({"rules": [{"rule": "account", "luhn": 1}]}, "'luhn' must be true, false or"),
        ({"rules": [{"rule": "account", "min": 0}]}, "'min' must be at least 1"),
        ({"rules": [{"rule": "account", "min": 20, "max": 10}]}, "is greater than 'max'"),
        ({"rules": [{"rule": "amount", "min": "ten"}]}, "'min' must be a number"),
        ({"rules": [{"rule": "amount", "max": True}]}, "'max' must be a number"),
        ({"rules": [{"rule": "amount", "max": "NaN"}]}, "'max' must be a finite number"),
        ({"rules": [{"rule": "amount", "min": 10, "max": 1}]}, "is greater than"),
        ({"rules": [{"rule": "amount_in_words", "matches": ""}]}, "'matches' must be"),
        ({"rules": [{"rule": "date", "min": "2000/01/01"}]}, "'min' must be a date written"),
        ({"rules": [{"rule": "date", "max": 20000101}]}, "'max' must be a date written"),
        ({"rules": [{"rule": "date", "max_days_ahead": -1}]}, "'max_days_ahead' must be at"),
        ({"rules": [{"rule": "date", "min": "2024-01-02", "max": "2024-01-01"}]}, "greater"),
        ({"rules": [{"rule": "id_number"}, {"rule": "length"}]}, r"^rules\[1\]: rule 'length'"),
    ],
)
def test_validate_config_rejects_bad_configs_with_a_clear_message(config, message):
    with pytest.raises(RuleConfigError, match=message):
        validate_config(config)


def test_a_config_error_is_a_value_error_for_callers_that_only_know_that():
    with pytest.raises(ValueError):
        validate_config({"rules": [{"rule": "nope"}]})


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("text", [RequiredRule()]),
        ("name", [RequiredRule(), PersonNameRule()]),
        ("company", [RequiredRule(), CompanyNameRule()]),
        ("address", [RequiredRule(), AddressRule()]),
        ("number", [RequiredRule()]),
        ("id_number", [RequiredRule(), IdNumberRule()]),
        ("amount", [RequiredRule(), AmountRule()]),
        ("amount_in_words", [RequiredRule(), AmountInWordsRule()]),
        ("date", [RequiredRule(), DateRule()]),
        ("account", [RequiredRule(), BankCardRule()]),
        ("bank_card", [RequiredRule(), BankCardRule()]),
    ],
)
def test_build_rules_gives_each_kind_its_default_rules(kind, expected):
    assert build_rules(kind, None) == expected


# The values of documents.models.FieldKind, which this Django-free test cannot import.
MODEL_KINDS = {
    "text",
    "name",
    "company",
    "address",
    "id_number",
    "amount",
    "amount_in_words",
    "date",
    "account",
    "phone",
    "credit_code",
    "number",
}


def test_every_kind_has_defaults_that_start_with_required():
    assert set(KINDS) == set(DEFAULT_RULES)
    assert set(KINDS) >= MODEL_KINDS
    for kind in KINDS:
        assert isinstance(build_rules(kind)[0], RequiredRule)


def test_build_rules_adds_configured_rules_after_the_defaults():
    config = {"rules": [{"rule": "regex", "pattern": "\\d+"}, {"rule": "length", "max": 4}]}
    assert build_rules("text", config) == [
        RequiredRule(),
        RegexRule(pattern="\\d+"),
        LengthRule(max=4),
    ]


def test_a_configured_rule_replaces_the_default_of_the_same_name():
    rules = build_rules("bank_card", {"rules": [{"rule": "account", "luhn": True}]})
    assert rules == [RequiredRule(), BankCardRule(luhn=True)]


def test_build_rules_rejects_an_unknown_kind_and_a_bad_config():
    with pytest.raises(ValueError, match="unknown field kind 'iban'"):
        build_rules("iban", None)
    with pytest.raises(RuleConfigError, match="unknown rule"):
        build_rules("text", {"rules": [{"rule": "nope"}]})


def test_run_rules_collects_failures_from_every_rule_and_multiplies_their_factors():
    ctx = FieldContext(kind="id_number")
    rules = [IdNumberRule(), LengthRule(min=18), RegexRule(pattern="\\d+X")]
    outcome = run_rules("1101051949123100", ctx, rules)
    assert [f.code for f in outcome.failures] == ["id_length", "length", "regex"]
    assert outcome.confidence_factor == pytest.approx(0.6)
    assert not outcome.passed


def test_run_rules_on_a_good_value_passes_with_factor_one_and_the_normalized_value():
    ctx = FieldContext(kind="date", today=date(2024, 5, 1))
    outcome = run_rules(" 2024年3月7日 ", ctx, build_rules("date"))
    assert outcome == RuleOutcome(failures=(), confidence_factor=1.0, normalized="2024-03-07")
    assert outcome.passed


def test_run_rules_checks_the_folded_value_not_the_normalized_one():
    ctx = FieldContext(kind="date", today=date(2024, 5, 1))
    rules = [DateRule(), RegexRule(pattern="\\d{4}年\\d{1,2}月\\d{1,2}日")]
    outcome = run_rules("2024年3月7日", ctx, rules)
    assert outcome.passed and outcome.normalized == "2024-03-07"


def test_run_rules_compares_amounts_in_words_with_the_other_field():
    ctx = FieldContext(kind="amount_in_words", other_values={"amount_small": "¥8,650.00"})
    rules = build_rules("amount_in_words", {"rules": [EXAMPLE_CONFIGS["amount_in_words"]]})
    assert run_rules("捌仟陆佰伍拾元整", ctx, rules).passed
    mismatch = run_rules("捌仟陆佰元整", ctx, rules)
    assert [f.code for f in mismatch.failures] == ["amount_words_mismatch"]


def test_rule_outcomes_and_failures_are_immutable():
    outcome = run_rules("x", FieldContext(kind="text"), [RequiredRule()])
    with pytest.raises(AttributeError):
        outcome.normalized = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        RegexRule(pattern="x").pattern = "y"  # type: ignore[misc]


def test_reason_codes_are_the_documented_strings():
    assert REASON_MISSING == "missing"
    assert REASON_LOW_CONFIDENCE == "low_confidence"


OK = RuleOutcome(failures=(), confidence_factor=1.0, normalized="x")
ID_LENGTH = RuleFailure(
    "id_length",
    "An ID number has 18 characters; {n} were read.",
    {"n": "16"},
    confidence_factor=0.6,
)
CHECKSUM = RuleFailure(
    "id_checksum",
    "The check character should be {expected}, but {read} was read.",
    {"expected": "X", "read": "1"},
)


@pytest.mark.parametrize(
    ("confidence", "threshold", "failures", "codes"),
    [
        (0.99, 0.90, (), []),
        (0.90, 0.90, (), []),
        (0.89, 0.90, (), ["low_confidence"]),
        (0.0, 0.0, (), []),
        (1.0, 1.0, (), []),
        (0.99, 0.90, (CHECKSUM,), ["id_checksum"]),
        (0.50, 0.90, (CHECKSUM,), ["low_confidence", "id_checksum"]),
        (0.99, 0.90, (ID_LENGTH,), ["low_confidence", "id_length"]),
        (0.99, 0.50, (ID_LENGTH,), ["id_length"]),
        (0.99, 0.90, (ID_LENGTH, CHECKSUM), ["low_confidence", "id_length", "id_checksum"]),
        (math.nan, 0.90, (), ["low_confidence"]),
        (math.nan, 0.0, (), ["low_confidence"]),
    ],
)
def test_needs_review_routing_table(confidence, threshold, failures, codes):
    factor = math.prod((f.confidence_factor for f in failures), start=1.0)
    outcome = RuleOutcome(failures=failures, confidence_factor=factor, normalized="x")
    assert [r["code"] for r in needs_review(confidence, threshold, outcome)] == codes


def test_a_confident_valid_field_is_auto_accepted():
    assert needs_review(0.97, 0.9, OK) == []


def test_a_low_confidence_reason_carries_confidence_and_threshold_as_json():
    (reason,) = needs_review(0.72, 0.8, OK)
    assert reason == {
        "code": "low_confidence",
        "message": "Recognition confidence 0.72 is below the threshold 0.80.",
        "template": "Recognition confidence {confidence} is below the threshold {threshold}.",
        "params": {"confidence": "0.72", "threshold": "0.80"},
        "confidence": 0.72,
        "threshold": 0.8,
    }
    assert json.loads(json.dumps(reason)) == reason


def test_a_lowered_confidence_is_explained_in_the_reason():
    outcome = RuleOutcome(failures=(ID_LENGTH,), confidence_factor=0.6, normalized="x")
    low, rule = needs_review(0.95, 0.8, outcome)
    assert low["confidence"] == 0.95
    assert "0.57" in low["message"] and "0.95" in low["message"]
    assert rule == {
        "code": "id_length",
        "message": "An ID number has 18 characters; 16 were read.",
        "template": "An ID number has 18 characters; {n} were read.",
        "params": {"n": "16"},
    }


def test_a_nan_confidence_is_stored_as_null_so_the_reason_stays_valid_json():
    (reason,) = needs_review(math.nan, 0.8, OK)
    assert reason["confidence"] is None
    json.dumps(reason, allow_nan=False)


def test_the_rule_engine_imports_without_django():
    code = (
        "import sys, documents.rules; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'rest_framework'}); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
