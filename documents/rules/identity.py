"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100) (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billtext.checksums import (
    USCC_ALPHABET,
    gb11643_check_digit,
    is_ascii_digits,
    uscc_check_char,
)
from documents.rules import messages as msg
from documents.rules.base import FieldContext, Rule, RuleFailure, register
from documents.rules.options import share_option

# A wrong length almost always means the recogniser dropped or doubled a character, so the
# other characters are suspect too; clerks asked for such IDs to be ranked as less certain.
ID_LENGTH_CONFIDENCE_FACTOR = 0.6


@register
@dataclass(frozen=True)
class IdNumberRule(Rule):
    """18-character resident ID: region, birth date and MOD 11-2 check character.

    ``residual_error``: when set, a number whose check character holds counts as verified, and
    this share of reading errors is assumed to slip past the check (routing.needs_review).
    """

    code = "id_number"
    residual_error: float | None = None

    def __post_init__(self) -> None:
        if self.residual_error is not None:
            share_option("residual_error", self.residual_error)

    def vouch(self, value: str, ctx: FieldContext) -> float | None:
        return self.residual_error

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        number = value.upper()
        if len(number) != 18:
            return [
                RuleFailure(
                    "id_length",
                    msg.ID_LENGTH,
                    {"n": str(len(number))},
                    confidence_factor=ID_LENGTH_CONFIDENCE_FACTOR,
                )
            ]
        if not is_ascii_digits(number[:17]) or number[17] not in "0123456789X":
            return [RuleFailure("id_format", msg.ID_FORMAT)]
        failures = []
        if number[0] == "0":
            failures.append(RuleFailure("id_region", msg.ID_REGION))
        birth = _birth_date_problem(number[6:14], ctx.current_date())
        if birth:
            failures.append(birth)
        expected = gb11643_check_digit(number[:17])
        if expected != number[17]:
            failures.append(
                RuleFailure(
                    "id_checksum", msg.CHECK_CHARACTER, {"expected": expected, "read": number[17]}
                )
            )
        return failures

    def normalize(self, value: str) -> str:
        return value.upper() if len(value) == 18 else value


def _birth_date_problem(yyyymmdd: str, today: date) -> RuleFailure | None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return RuleFailure("id_birth_date", msg.ID_BIRTH_NOT_A_DATE, {"date": yyyymmdd})
    if born.year < 1900:
        return RuleFailure("id_birth_date", msg.ID_BIRTH_BEFORE_1900, {"year": str(born.year)})
    if born > today:
        return RuleFailure("id_birth_date", msg.ID_BIRTH_FUTURE, {"date": born.isoformat()})
    return None


@register
@dataclass(frozen=True)
class CreditCodeRule(Rule):
    """18-character unified social credit code with its MOD 31 check character.

    ``residual_error``: as for the ID number; a substituted character passes MOD 31 about once in
    31 times, and misreadings cluster on look-alikes, so a cautious share is nearer 0.2.
    """

    code = "credit_code"
    residual_error: float | None = None

    def __post_init__(self) -> None:
        if self.residual_error is not None:
            share_option("residual_error", self.residual_error)

    def vouch(self, value: str, ctx: FieldContext) -> float | None:
        return self.residual_error

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        credit = value.upper()
        if len(credit) != 18:
            return [
                RuleFailure("credit_code_length", msg.CREDIT_CODE_LENGTH, {"n": str(len(credit))})
            ]
        bad = sorted({c for c in credit if c not in USCC_ALPHABET})
        if bad:
            return [
                RuleFailure(
                    "credit_code_charset", msg.CREDIT_CODE_CHARSET, {"chars": ", ".join(bad)}
                )
            ]
        expected = uscc_check_char(credit[:17])
        if expected != credit[17]:
            return [
                RuleFailure(
                    "credit_code_checksum",
                    msg.CHECK_CHARACTER,
                    {"expected": expected, "read": credit[17]},
                )
            ]
        return []

    def normalize(self, value: str) -> str:
        return value.upper() if len(value) == 18 else value
