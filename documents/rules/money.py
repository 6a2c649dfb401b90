"""Amounts in figures and in Chinese capitals, and their agreement (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from billtext.amounts import format_amount, parse_amount, parse_chinese_amount
from documents.rules import messages as msg
from documents.rules.base import FieldContext, Rule, RuleFailure, register
from documents.rules.normalize import normalize_value
from documents.rules.options import check_bounds, decimal_option, share_option, str_option

# Grouped (8,650.00) or plain (8650.00) figures with at most two decimals; the space after the
# sign is what normalize_value leaves of "¥ 8,650.00".
AMOUNT_RE = re.compile(r"(?:¥ ?)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?")


def _amount_or_none(text: str) -> Decimal | None:
    folded = normalize_value(text, "amount")
    if not AMOUNT_RE.fullmatch(folded):
        return None
    return parse_amount(folded)


def amount_of(text: str) -> Decimal | None:
    """The amount ``text`` states in figures (8,650.00) or in capitals (捌仟陆佰伍拾元整)."""
    figures = _amount_or_none(text)
    if figures is not None or not text:
        return figures
    try:
        return parse_chinese_amount(normalize_value(text, "amount_in_words"))
    except ValueError:
        return None


@register
@dataclass(frozen=True)
class AmountRule(Rule):
    """An amount in figures, optionally within ``min``/``max``. Normalised to ``8650.00``."""

    code = "amount"
    min: Decimal | None = None
    max: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("min", "max"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, decimal_option(name, value))
        check_bounds(self.min, self.max)

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        amount = _amount_or_none(value)
        if amount is None:
            return [RuleFailure("amount_format", msg.AMOUNT_FORMAT, {"value": msg.quoted(value)})]
        if self.min is not None and amount < self.min:
            return [_range_failure(amount, msg.AMOUNT_BELOW, self.min)]
        if self.max is not None and amount > self.max:
            return [_range_failure(amount, msg.AMOUNT_ABOVE, self.max)]
        return []

    def normalize(self, value: str) -> str:
        amount = _amount_or_none(value)
        return value if amount is None else format_amount(amount, grouping=False)


def _range_failure(amount: Decimal, template: str, bound: Decimal) -> RuleFailure:
    params = {"amount": format_amount(amount), "bound": format_amount(bound)}
    return RuleFailure("amount_range", template, params)


@register
@dataclass(frozen=True)
class AmountInWordsRule(Rule):
    """An amount in Chinese capitals (大写金额); with ``matches``, equal to that field's figures.

    When the other field is empty or unreadable nothing is compared: its own amount rule already
    sends it to review, and a second failure here would only repeat that. With
    ``residual_error``, agreement with the figures verifies the value: two readings of one amount
    that agree are rarely both wrong.
    """

    code = "amount_in_words"
    matches: str | None = None
    residual_error: float | None = None

    def __post_init__(self) -> None:
        if self.matches is not None:
            str_option("matches", self.matches)
        if self.residual_error is not None:
            share_option("residual_error", self.residual_error)

    def vouch(self, value: str, ctx: FieldContext) -> float | None:
        if self.residual_error is None or self.matches is None:
            return None
        figures = amount_of(ctx.other_values.get(self.matches) or "")
        try:
            agree = figures is not None and figures == parse_chinese_amount(value)
        except ValueError:
            return None
        return self.residual_error if agree else None

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        try:
            in_words = parse_chinese_amount(value)
        except ValueError:
            return [
                RuleFailure(
                    "amount_words_format", msg.AMOUNT_WORDS_FORMAT, {"value": msg.quoted(value)}
                )
            ]
        if self.matches is None:
            return []
        figures = _amount_or_none(ctx.other_values.get(self.matches) or "")
        if figures is None or figures == in_words:
            return []
        return [
            RuleFailure(
                "amount_words_mismatch",
                msg.AMOUNT_WORDS_MISMATCH,
                {
                    "words_amount": format_amount(in_words),
                    "value": value,
                    "figures": format_amount(figures),
                },
            )
        ]
