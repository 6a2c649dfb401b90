"""Validation of rule options as they arrive from admin-edited JSON (pure).

Each helper returns the option in the type the rule uses, or raises RuleConfigError (a
ValueError) with a message
that names the option, so :func:`documents.rules.base.validate_config` can show it on the form.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any


class RuleConfigError(ValueError):
    """A rule configuration an admin has to fix; the message says what and where."""


def int_option(name: str, value: Any, *, minimum: int = 0) -> int:
    # bool is an int subclass; ``"min": true`` is a typo, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleConfigError(f"{name!r} must be a whole number, got {value!r}")
    if value < minimum:
        raise RuleConfigError(f"{name!r} must be at least {minimum}, got {value}")
    return int(value)


def decimal_option(name: str, value: Any) -> Decimal:
    """A JSON number or a decimal string such as ``"1000.00"``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RuleConfigError(f"{name!r} must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RuleConfigError(f"{name!r} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise RuleConfigError(f"{name!r} must be a finite number, got {value!r}")
    return number


def date_option(name: str, value: Any) -> date:
    if not isinstance(value, str):
        raise RuleConfigError(f"{name!r} must be a date written YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        msg = f"{name!r} must be a date written YYYY-MM-DD, got {value!r}"
        raise RuleConfigError(msg) from None


def str_option(name: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or not (value or allow_empty):
        raise RuleConfigError(f"{name!r} must be a non-empty string, got {value!r}")
    return value


def check_bounds(low: Any, high: Any, low_name: str = "min", high_name: str = "max") -> None:
    if low is not None and high is not None and low > high:
        raise RuleConfigError(f"{low_name!r} ({low}) is greater than {high_name!r} ({high})")


def share_option(name: str, value: Any) -> float:
    """A share between 0 (exclusive) and 1 (inclusive), e.g. a residual error rate."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RuleConfigError(f"{name!r} must be a number between 0 and 1, got {value!r}")
    if not 0 < value <= 1:
        raise RuleConfigError(f"{name!r} must be more than 0 and at most 1, got {value!r}")
    return float(value)


def key_option(name: str, value: Any) -> str:
    """The key of another field of the same document."""
    return str_option(name, value)


def keys_option(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise RuleConfigError(f"{name!r} must be a non-empty list of field keys, got {value!r}")
    return tuple(str_option(f"{name}[]", v) for v in value)


def words_option(name: str, value: Any) -> tuple[str, ...]:
    """A list of strings (may be empty: switches a default list off)."""
    if not isinstance(value, (list, tuple)):
        raise RuleConfigError(f"{name!r} must be a list of strings, got {value!r}")
    return tuple(str_option(f"{name}[]", v) for v in value)
