"""Dates as printed on bills, and the rule that checks them (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from documents.rules import messages as msg
from documents.rules.base import FieldContext, Rule, RuleFailure, register
from documents.rules.normalize import normalize_value
from documents.rules.options import RuleConfigError, check_bounds, date_option, int_option

_DATE_RES = (
    re.compile(r"(?P<y>\d{4}) ?(?P<sep>[-/.]) ?(?P<m>\d{1,2}) ?(?P=sep) ?(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4}) ?年 ?(?P<m>\d{1,2}) ?月 ?(?P<d>\d{1,2}) ?日"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
)
# Day first (15/06/2017, 08-05-18), as printed on receipts in Malaysia, Singapore or the UK.
_DAY_FIRST_RE = re.compile(
    r"(?P<d>\d{1,2}) ?(?P<sep>[-/.]) ?(?P<m>\d{1,2}) ?(?P=sep) ?(?P<y>\d{4}|\d{2})"
)
# Two-digit years up to this one are 20yy, later ones 19yy.
_PIVOT_YY = 69


def parse_date(text: str, *, day_first: bool = False) -> date:
    """2024-03-07, 2024/3/7, 2024.03.07, 2024年3月7日 or 20240307 → date(2024, 3, 7).

    The two separators must agree (2024-03/07 is rejected) and the year comes first: a
    day-first date is ambiguous on a bill that mixes Chinese and English conventions, so
    07/03/2024 and 07/03/24 are read (as 7 March) only with ``day_first``.
    Raises ValueError for anything else, including impossible dates such as 2023-02-29.
    """
    value = normalize_value(text, "date")
    patterns = (*_DATE_RES, _DAY_FIRST_RE) if day_first else _DATE_RES
    for pattern in patterns:
        m = pattern.fullmatch(value)
        if m:
            year = int(m["y"])
            if len(m["y"]) == 2:
                year += 2000 if year <= _PIVOT_YY else 1900
            try:
                return date(year, int(m["m"]), int(m["d"]))
            except ValueError:
                raise ValueError(f"not a calendar date: {text!r}") from None
    raise ValueError(f"not a date: {text!r}")


@register
@dataclass(frozen=True)
class DateRule(Rule):
    """A readable date, at most ``max_days_ahead`` days after today, within ``min``/``max``.

    ``max_days_ahead`` is 0 by default because issue and transaction dates are never in the
    future; set it to null for dates that may be (an expiry date). ``day_first`` also reads
    15/06/2017 and 15/06/17 (receipts printed where the day comes first).
    """

    code = "date"
    min: date | None = None
    max: date | None = None
    max_days_ahead: int | None = 0
    day_first: bool = False

    def __post_init__(self) -> None:
        for name in ("min", "max"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, date):
                object.__setattr__(self, name, date_option(name, value))
        if self.max_days_ahead is not None:
            int_option("max_days_ahead", self.max_days_ahead)
        if not isinstance(self.day_first, bool):
            raise RuleConfigError(f"'day_first' must be true or false, got {self.day_first!r}")
        check_bounds(self.min, self.max)

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        try:
            day = parse_date(value, day_first=self.day_first)
        except ValueError:
            return [RuleFailure("date_format", msg.DATE_FORMAT, {"value": msg.quoted(value)})]
        failures = []
        if self.max_days_ahead is not None:
            latest = ctx.current_date() + timedelta(days=self.max_days_ahead)
            if day > latest:
                template = msg.DATE_TOO_FAR_AHEAD if self.max_days_ahead else msg.DATE_FUTURE
                params = {
                    "date": day.isoformat(),
                    "days": str(self.max_days_ahead),
                    "today": ctx.current_date().isoformat(),
                }
                failures.append(RuleFailure("date_future", template, params))
        if (self.min is not None and day < self.min) or (self.max is not None and day > self.max):
            low = self.min.isoformat() if self.min else "…"
            high = self.max.isoformat() if self.max else "…"
            params = {"date": day.isoformat(), "low": low, "high": high}
            failures.append(RuleFailure("date_range", msg.DATE_RANGE, params))
        return failures

    def normalize(self, value: str) -> str:
        try:
            return parse_date(value, day_first=self.day_first).isoformat()
        except ValueError:
            return value
