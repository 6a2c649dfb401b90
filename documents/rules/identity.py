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
                    f"An ID number has 18 characters; {len(number)} were read.",
                    ID_LENGTH_CONFIDENCE_FACTOR,
                )
            ]
        if not is_ascii_digits(number[:17]) or number[17] not in "0123456789X":
            return [
                RuleFailure(
                    "id_format",
                    "An ID number is 17 digits followed by a digit or X.",
                )
            ]
        failures = []
        if number[0] == "0":
            failures.append(RuleFailure("id_region", "An ID number cannot start with 0."))
        birth = _birth_date_problem(number[6:14], ctx.current_date())
        if birth:
            failures.append(RuleFailure("id_birth_date", birth))
        expected = gb11643_check_digit(number[:17])
        if expected != number[17]:
            failures.append(
                RuleFailure(
                    "id_checksum",
                    f"The check character should be {expected}, but {number[17]} was read.",
                )
            )
        return failures

    def normalize(self, value: str) -> str:
        return value.upper() if len(value) == 18 else value


def _birth_date_problem(yyyymmdd: str, today: date) -> str | None:
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return f"The birth date {yyyymmdd} in the ID number is not a calendar date."
    if born.year < 1900:
        return f"The birth year {born.year} in the ID number is before 1900."
    if born > today:
        return f"The birth date {born.isoformat()} in the ID number is in the future."
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
                RuleFailure(
                    "credit_code_length",
                    f"A credit code has 18 characters; {len(credit)} were read.",
                )
            ]
        bad = sorted({c for c in credit if c not in USCC_ALPHABET})
        if bad:
            return [
                RuleFailure(
                    "credit_code_charset",
                    f"A credit code never contains {', '.join(bad)} "
                    "(only digits and capitals other than I, O, S, V, Z).",
                )
            ]
        expected = uscc_check_char(credit[:17])
        if expected != credit[17]:
            return [
                RuleFailure(
                    "credit_code_checksum",
                    f"The check character should be {expected}, but {credit[17]} was read.",
                )
            ]
        return []

    def normalize(self, value: str) -> str:
        return value.upper() if len(value) == 18 else value
