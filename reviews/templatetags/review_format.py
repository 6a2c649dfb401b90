"""Formatting for the supervisor's figures."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """0.0031 → "0.31 %", 0.25 → "25.0 %": small error rates keep their two decimals."""
    if value is None:
        return "—"
    share = float(value) * 100
    return f"{share:.2f} %" if share < 10 else f"{share:.1f} %"
