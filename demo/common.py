"""Data and drawing bits shared by the demo layouts: banks, logos, dates, amounts (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from recognition.engine.textgen import ValueGenerator

from .canvas import Colour, Page


@dataclass(frozen=True)
class Bank:
    name: str
    short: str
    colour: Colour


BANKS = (
    Bank("中国工商银行", "工商银行", (196, 22, 28)),
    Bank("中国农业银行", "农业银行", (0, 132, 106)),
    Bank("中国银行", "中国银行", (170, 20, 40)),
    Bank("中国建设银行", "建设银行", (0, 60, 150)),
    Bank("交通银行", "交通银行", (20, 50, 130)),
    Bank("招商银行", "招商银行", (200, 20, 30)),
    Bank("中国邮政储蓄银行", "邮储银行", (0, 120, 70)),
    Bank("兴业银行", "兴业银行", (0, 60, 140)),
    Bank("上海浦东发展银行", "浦发银行", (10, 60, 130)),
)

# Issue and transaction dates stay in the past whatever the day the tests run, because the
# date rule rejects future dates by default.
_FIRST_DAY = date(2021, 1, 1)
_DAYS = (date(2025, 12, 31) - _FIRST_DAY).days


def past_date(vg: ValueGenerator) -> date:
    return _FIRST_DAY + timedelta(days=vg.rng.randrange(_DAYS))


def format_date(d: date, style: str) -> str:
    """The year-first styles the date rule accepts (day-first dates are ambiguous on bills)."""
    return {
        "iso": d.isoformat(),
        "slash": d.strftime("%Y/%m/%d"),
        "dot": d.strftime("%Y.%m.%d"),
        "zh": d.strftime("%Y年%m月%d日"),
        "zh_short": f"{d.year}年{d.month}月{d.day}日",
    }[style]


def format_amount(value: Decimal, *, symbol: bool, grouping: bool) -> str:
    text = f"{value:,.2f}" if grouping else f"{value:.2f}"
    return f"¥{text}" if symbol else text


def amount_between(vg: ValueGenerator, low: int, high: int, *, round_to: int = 1) -> Decimal:
    """A whole-yuan amount from ``low`` to ``high``, a multiple of ``round_to``, or with cents."""
    if round_to > 1:
        return Decimal(vg.rng.randrange(low // round_to, high // round_to + 1) * round_to)
    return Decimal(vg.rng.randrange(low * 100, high * 100)) / 100


def branch(vg: ValueGenerator, bank: Bank) -> str:
    return f"{bank.short}{vg.zh.city_name()}{vg.zh.district()}支行"


def draw_logo(page: Page, centre: tuple[float, float], radius: float, colour: Colour) -> None:
    """A generic bank mark: a ring with a square hole, like the coin-shaped logos of many banks."""
    x, y = centre
    page.draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    inner = radius * 0.62
    page.draw.ellipse((x - inner, y - inner, x + inner, y + inner), fill=page.paper)
    side = radius * 0.32
    page.draw.rectangle((x - side, y - side, x + side, y + side), fill=colour)


def code_chars(rng: random.Random, n: int, alphabet: str = "0123456789ABCDEFGHJKLMNPRTUWXY") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))
