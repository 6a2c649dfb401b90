"""Rules that compare a field with other fields of the same document (pure).

They read the other fields' cleaned values from ``FieldContext.other_values``. A field that is
empty or unreadable is never compared: its own rules already send it to review.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billtext.amounts import format_amount
from documents.rules import messages as msg
from documents.rules.base import FieldContext, Rule, RuleFailure, register
from documents.rules.money import amount_of
from documents.rules.normalize import fold_text
from documents.rules.options import decimal_option, key_option, keys_option, share_option


def _residual(value: float | None) -> float | None:
    return None if value is None else share_option("residual_error", value)


@register
@dataclass(frozen=True)
class SumOfRule(Rule):
    """The amount equals the sum of ``fields`` (价税合计 = 合计金额 + 合计税额, a receipt's total
    = its items), within ``tolerance``.

    With ``total``, this field is one of the parts instead: ``total`` = this value + ``fields``,
    so every member of the sum is checked, not only the total. Compared only where every member
    was printed and read as an amount (figures or capitals); ``residual_error`` lets agreement
    verify the value.
    """

    code = "sum_of"
    fields: tuple[str, ...] = ()
    total: str | None = None
    tolerance: Decimal = Decimal("0")
    residual_error: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", keys_option("fields", self.fields))
        if self.total is not None:
            key_option("total", self.total)
        if not isinstance(self.tolerance, Decimal):
            object.__setattr__(self, "tolerance", decimal_option("tolerance", self.tolerance))
        _residual(self.residual_error)

    def _equation(self, value: str, ctx: FieldContext) -> tuple[Decimal, list[Decimal]] | None:
        """(total, parts) as read, or None where a member is missing or unreadable."""
        mine = amount_of(value)
        others = [amount_of(ctx.other_values.get(key) or "") for key in self.fields]
        total = mine if self.total is None else amount_of(ctx.other_values.get(self.total) or "")
        parts = others if self.total is None else [mine, *others]
        if total is None or any(p is None for p in parts):
            return None
        return total, [p for p in parts if p is not None]

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        equation = self._equation(value, ctx)
        if equation is None or abs(equation[0] - sum(equation[1])) <= self.tolerance:
            return []
        total, parts = equation
        added = sum(parts, Decimal(0))
        params = {
            "total": self.total or "",
            "amount": format_amount(total),
            "parts": ", ".join(self.fields),
            "sum": f"{' + '.join(format_amount(p) for p in parts)} = {format_amount(added)}",
        }
        template = msg.SUM_MISMATCH if self.total else msg.SUM_MISMATCH_UNNAMED
        return [RuleFailure("sum_mismatch", template, params)]

    def vouch(self, value: str, ctx: FieldContext) -> float | None:
        equation = self._equation(value, ctx)
        if self.residual_error is None or equation is None:
            return None
        return (
            self.residual_error if abs(equation[0] - sum(equation[1])) <= self.tolerance else None
        )


@register
@dataclass(frozen=True)
class AmountMatchesRule(Rule):
    """The amount equals the one in ``field``, in figures or in capitals (小写 = 大写)."""

    code = "amount_matches"
    field: str = ""
    residual_error: float | None = None

    def __post_init__(self) -> None:
        key_option("field", self.field)
        _residual(self.residual_error)

    def _pair(self, value: str, ctx: FieldContext) -> tuple[Decimal, Decimal] | None:
        mine, other = amount_of(value), amount_of(ctx.other_values.get(self.field) or "")
        return None if mine is None or other is None else (mine, other)

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        pair = self._pair(value, ctx)
        if pair is None or pair[0] == pair[1]:
            return []
        return [
            RuleFailure(
                "amount_mismatch",
                msg.AMOUNT_MISMATCH,
                {
                    "amount": format_amount(pair[0]),
                    "field": self.field,
                    "other": format_amount(pair[1]),
                },
            )
        ]

    def vouch(self, value: str, ctx: FieldContext) -> float | None:
        pair = self._pair(value, ctx)
        if self.residual_error is None or pair is None or pair[0] != pair[1]:
            return None
        return self.residual_error


def _comparable(text: str) -> str:
    return "".join(fold_text(text).upper().split())


@register
@dataclass(frozen=True)
class DiffersFromRule(Rule):
    """The value differs from ``field``'s (buyer ≠ seller): the same text twice means one of them
    was read from the other's place."""

    code = "differs_from"
    field: str = ""

    def __post_init__(self) -> None:
        key_option("field", self.field)

    def check(self, value: str, ctx: FieldContext) -> list[RuleFailure]:
        other = ctx.other_values.get(self.field) or ""
        if not other or _comparable(other) != _comparable(value):
            return []
        return [
            RuleFailure(
                "same_as_other_field",
                msg.SAME_AS_OTHER_FIELD,
                {"value": msg.quoted(value), "field": self.field},
            )
        ]
