"""General-purpose rules: required, regex, length, choices, phone and account numbers (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from billtext.checksums import is_ascii_digits, luhn_check_digit
from documents.rules import messages as msg
from documents.rules.base import FieldContext, Rule, RuleFailure, register
from documents.rules.normalize import fold_text
from documents.rules.options import RuleConfigError, check_bounds, int_option, str_option


@register
@dataclass(frozen=True)
class RequiredRule(Rule):
    """Fails on an empty value when ``FieldContext.required``; part of every kind's defaults."""

    code = "required"
    checks_empty = True

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        if ctx.required and not value:
            return [RuleFailure("required", msg.REQUIRED)]
        return []


@register
@dataclass(frozen=True)
class RegexRule(Rule):
    """The whole value must match ``pattern`` (Python syntax); ``message`` is shown otherwise."""

    code = "regex"
    pattern: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        str_option("pattern", self.pattern)
        str_option("message", self.message, allow_empty=True)
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise RuleConfigError(f"invalid pattern {self.pattern!r}: {exc}") from None

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        if re.fullmatch(self.pattern, value):
            return []
        return [RuleFailure("regex", self.message or msg.REGEX, {"value": msg.quoted(value)})]


@register
@dataclass(frozen=True)
class LengthRule(Rule):
    """Between ``min`` and ``max`` characters (either may be left out)."""

    code = "length"
    min: int | None = None
    max: int | None = None

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise RuleConfigError("give 'min', 'max' or both")
        for name in ("min", "max"):
            if getattr(self, name) is not None:
                int_option(name, getattr(self, name))
        check_bounds(self.min, self.max)

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        n = len(value)
        if (self.min is None or n >= self.min) and (self.max is None or n <= self.max):
            return []
        params = {"n": str(n), "min": str(self.min), "max": str(self.max)}
        if self.min == self.max:
            template, params["wanted"] = msg.LENGTH_EXACTLY, str(self.min)
        elif self.max is None:
            template, params["wanted"] = msg.LENGTH_AT_LEAST, str(self.min)
        elif self.min is None:
            template, params["wanted"] = msg.LENGTH_AT_MOST, str(self.max)
        else:
            template = msg.LENGTH_BETWEEN
        return [RuleFailure("length", template, params)]


@register
@dataclass(frozen=True)
class ChoicesRule(Rule):
    """The value must be one of ``values``, compared after :func:`fold_text`."""

    code = "choices"
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.values, (list, tuple)) or not self.values:
            raise RuleConfigError(
                f"'values' must be a non-empty list of strings, got {self.values!r}"
            )
        for v in self.values:
            str_option("values[]", v)
        object.__setattr__(self, "values", tuple(fold_text(v) for v in self.values))

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        if value in self.values:
            return []
        allowed = ", ".join(self.values)
        params = {"value": msg.quoted(value), "allowed": allowed}
        return [RuleFailure("choices", msg.CHOICES, params)]


_MOBILE_RE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
_LANDLINE_RE = re.compile(r"0\d{2,3}-?\d{7,8}")
_AREA_IN_PARENS_RE = re.compile(r"^\((0\d{2,3})\)-?")


def _landline_form(value: str) -> str:
    """``(0755) 1234 5678``-style layout → ``0755-12345678``-style, for matching and output."""
    return _AREA_IN_PARENS_RE.sub(r"\1-", re.sub(r"[\s-]+", "-", value))


@register
@dataclass(frozen=True)
class PhoneRule(Rule):
    """Mainland mobile (1[3-9] and 9 digits, optional +86) or landline with area code.

    Spaces and dashes inside a mobile number are layout (138 0013 8000); a landline keeps one
    dash between area code and number, which may be in parentheses: (0755) 12345678.
    """

    code = "phone"

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        if _MOBILE_RE.fullmatch(re.sub(r"[\s-]", "", value)):
            return []
        if _LANDLINE_RE.fullmatch(_landline_form(value)):
            return []
        return [RuleFailure("phone_format", msg.PHONE_FORMAT, {"value": msg.quoted(value)})]

    def normalize(self, value: str) -> str:
        mobile = _MOBILE_RE.fullmatch(re.sub(r"[\s-]", "", value))
        if mobile:
            return mobile.group(1)
        landline = _landline_form(value)
        return landline if _LANDLINE_RE.fullmatch(landline) else value


LuhnMode = Literal["auto"] | bool
_LUHN_PREFIXES = ("62", "4", "5")


def luhn_applies(digits: str, mode: LuhnMode) -> bool:
    """``"auto"``: only 16-19 digit numbers that look like UnionPay, Visa or Mastercard cards.

    Many Chinese bank *account* numbers carry no Luhn digit, so the check is off by default and
    ``auto`` only applies it to numbers shaped like cards.
    """
    if mode == "auto":
        return 16 <= len(digits) <= 19 and digits.startswith(_LUHN_PREFIXES)
    return bool(mode)


@register
@dataclass(frozen=True)
class BankCardRule(Rule):
    """Bank account or card number: digits (spaces allowed), ``min``-``max`` long, Luhn if set."""

    code = "account"
    min: int = 10
    max: int = 30
    luhn: LuhnMode = False

    def __post_init__(self) -> None:
        int_option("min", self.min, minimum=1)
        int_option("max", self.max, minimum=1)
        check_bounds(self.min, self.max)
        if not (isinstance(self.luhn, bool) or self.luhn == "auto"):
            raise RuleConfigError(f"'luhn' must be true, false or \"auto\", got {self.luhn!r}")

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        digits = value.replace(" ", "")
        if not is_ascii_digits(digits) or not self.min <= len(digits) <= self.max:
            return [
                RuleFailure(
                    "account_format",
                    msg.ACCOUNT_FORMAT,
                    {"min": str(self.min), "max": str(self.max), "value": msg.quoted(value)},
                )
            ]
        if luhn_applies(digits, self.luhn):
            expected = luhn_check_digit(digits[:-1])
            if expected != digits[-1]:
                return [
                    RuleFailure(
                        "account_luhn", msg.ACCOUNT_LUHN, {"expected": expected, "read": digits[-1]}
                    )
                ]
        return []

    def normalize(self, value: str) -> str:
        digits = value.replace(" ", "")
        return digits if is_ascii_digits(digits) else value
