"""Pure rule engine for recognised fields: no Django, no ORM.

``build_rules(kind, config)`` → ``run_rules(value, ctx, rules)`` → ``needs_review(...)``.
Importing the package registers every rule module, so RULES is complete.
"""

from __future__ import annotations

from billtext.amounts import (
    amount_to_chinese,
    format_amount,
    parse_amount,
    parse_chinese_amount,
)
from billtext.checksums import (
    gb11643_check_digit,
    gb11643_valid,
    luhn_check_digit,
    luhn_valid,
    uscc_check_char,
    uscc_valid,
)
from documents.rules.base import (
    DEFAULT_RULES,
    KINDS,
    REASON_LOW_CONFIDENCE,
    REASON_MISSING,
    RULES,
    FieldContext,
    Rule,
    RuleFailure,
    RuleOutcome,
    build_rules,
    needs_review,
    register,
    rule_from_config,
    run_rules,
    validate_config,
)
from documents.rules.cross import AmountMatchesRule, DiffersFromRule, SumOfRule
from documents.rules.dates import DateRule, parse_date
from documents.rules.generic import (
    BankCardRule,
    ChoicesRule,
    LengthRule,
    PhoneRule,
    RegexRule,
    RequiredRule,
    luhn_applies,
)
from documents.rules.identity import CreditCodeRule, IdNumberRule
from documents.rules.money import AmountInWordsRule, AmountRule, amount_of
from documents.rules.normalize import fold_text, normalize_value
from documents.rules.options import RuleConfigError
from documents.rules.text import (
    COMPANY_SUFFIXES,
    LABEL_WORDS,
    AddressRule,
    CompanyNameRule,
    PersonNameRule,
    label_words_in,
)

__all__ = [
    "COMPANY_SUFFIXES",
    "DEFAULT_RULES",
    "LABEL_WORDS",
    "KINDS",
    "REASON_LOW_CONFIDENCE",
    "REASON_MISSING",
    "RULES",
    "AddressRule",
    "AmountInWordsRule",
    "AmountMatchesRule",
    "AmountRule",
    "BankCardRule",
    "ChoicesRule",
    "CompanyNameRule",
    "CreditCodeRule",
    "DateRule",
    "DiffersFromRule",
    "FieldContext",
    "IdNumberRule",
    "LengthRule",
    "PersonNameRule",
    "PhoneRule",
    "RegexRule",
    "RequiredRule",
    "Rule",
    "RuleConfigError",
    "RuleFailure",
    "RuleOutcome",
    "SumOfRule",
    "amount_of",
    "amount_to_chinese",
    "build_rules",
    "fold_text",
    "format_amount",
    "gb11643_check_digit",
    "gb11643_valid",
    "label_words_in",
    "luhn_applies",
    "luhn_check_digit",
    "luhn_valid",
    "needs_review",
    "normalize_value",
    "parse_amount",
    "parse_chinese_amount",
    "parse_date",
    "register",
    "rule_from_config",
    "run_rules",
    "uscc_check_char",
    "uscc_valid",
    "validate_config",
]
