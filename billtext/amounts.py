"""Money amounts in figures and in Chinese capitals (大写金额), both directions (pure)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_AMOUNT_RE = re.compile(r"^[¥￥]?\s*-?(\d{1,3}(,\d{3})*|\d+)(\.\d{1,2})?$")
# Variants clerks and printers use for the same capital numerals.
_DIGIT_VARIANTS = {"〇": "零", "两": "贰", "贰": "贰", "貳": "贰", "參": "叁", "陸": "陆"}
_UNIT_VALUES = {"拾": 10, "佰": 100, "仟": 1000}
_NONZERO = DIGITS[1:]
_FRACTION_RE = re.compile(r"零?(?:([壹贰叁肆伍陆柒捌玖])角)?零?(?:([壹贰叁肆伍陆柒捌玖])分)?整?")


def parse_amount(text: str) -> Decimal:
    """``¥8,650.00``, ``8650.00``, ``8650`` → Decimal('8650.00'); ValueError otherwise."""
    cleaned = text.strip().replace("￥", "¥").replace(" ", "")
    if not _AMOUNT_RE.match(cleaned):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(cleaned.lstrip("¥").replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules this out
        raise ValueError(f"not an amount: {text!r}") from exc


def format_amount(value: Decimal, *, symbol: bool = False, grouping: bool = True) -> str:
    text = f"{value:,.2f}" if grouping else f"{value:.2f}"
    return f"¥{text}" if symbol else text


def _four_digits(n: int) -> str:
    """Capitals of 0 < n < 10000, with inner zeros collapsed to one 零."""
    out: list[str] = []
    zero = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[d] + _SMALL_UNITS[pos])
    return "".join(out)


def _integer_capitals(n: int) -> str:
    """Capitals of 0 < n < 10**16: 亿 splits off the high part, which may itself use 万."""
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        text = _integer_capitals(high) + "亿"
        if low:
            text += ("零" if low < 10**7 else "") + _integer_capitals(low)
        return text
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        text = _four_digits(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + _four_digits(low)
        return text
    return _four_digits(n)


def amount_to_chinese(value: Decimal | int | str) -> str:
    """8650 → 捌仟陆佰伍拾元整; 10005.30 → 壹万零伍元叁角整; 0.05 → 伍分.

    Follows the usual rules of Chinese bank practice: 元 after the integer part, 整 when there are
    no fen, one 零 for each run of zeros inside the number, 零 after 元 when only the jiao is zero.
    """
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if amount < 0:
        raise ValueError("negative amounts have no capitals form")
    cents = int(amount * 100)
    integer, jiao, fen = cents // 100, (cents // 10) % 10, cents % 10
    if integer >= 10**16:
        raise ValueError("amount too large")
    if not cents:
        return "零元整"
    parts: list[str] = []
    if integer:
        parts.append(_integer_capitals(integer) + "元")
    if jiao:
        parts.append(DIGITS[jiao] + "角")
    elif integer and fen:
        parts.append("零")
    parts.append(DIGITS[fen] + "分" if fen else "整")
    return "".join(parts)


def _parse_section(s: str, *, leading: bool, tail: bool) -> int:
    """Value of a 1-9999 group such as 壹仟零伍拾, 零伍 or 拾伍.

    Strict on purpose: a repeated digit (伍伍拾) or a dropped unit (壹仟伍 for 壹仟伍佰) is a
    typical recognition error, so units must fall, an inner gap must be marked by one 零, and in
    the ``tail`` group after 万/亿 a bare units digit needs 零 (壹万零伍, never 壹万伍).
    ``leading`` allows the spoken 拾伍 for 壹拾伍 at the very start.
    """
    if not s:
        raise ValueError("empty group")
    if leading and s.startswith("拾"):
        s = "壹" + s
    value, last_unit, zero, i = 0, 10_000, False, 0
    while i < len(s):
        c = s[i]
        if c == "零":
            if zero or i + 1 == len(s):
                raise ValueError(f"misplaced 零 in {s!r}")
            zero, i = True, i + 1
            continue
        if c not in _NONZERO:
            raise ValueError(f"unexpected {c!r} in {s!r}")
        if i + 1 == len(s):
            unit = 1
        elif s[i + 1] in _UNIT_VALUES:
            unit = _UNIT_VALUES[s[i + 1]]
        else:
            raise ValueError(f"digit without a unit in {s!r}")
        opening = last_unit == 10_000
        if unit >= last_unit:
            raise ValueError(f"units out of order in {s!r}")
        if not opening and (unit * 10 != last_unit) != zero:
            raise ValueError(f"零 must mark exactly the gaps in {s!r}")
        if opening and unit == 1 and tail and not zero:
            raise ValueError(f"bare digit after 万/亿 needs 零 in {s!r}")
        value += DIGITS.index(c) * unit
        last_unit, zero = unit, False
        i += 2 if unit > 1 else 1
    return value


def _parse_below_yi(s: str, *, first: bool) -> int:
    high, wan, low = s.partition("万")
    if not wan:
        return _parse_section(s, leading=first, tail=not first)
    if not high or "万" in low:
        raise ValueError(f"misplaced 万 in {s!r}")
    return _parse_section(high, leading=first, tail=False) * 10_000 + (
        _parse_section(low, leading=False, tail=True) if low else 0
    )


def _parse_integer(s: str) -> int:
    if s == "零":
        return 0
    high, yi, low = s.partition("亿")
    if not yi:
        return _parse_below_yi(s, first=True)
    if not high or "亿" in low:
        raise ValueError(f"misplaced 亿 in {s!r}")
    return _parse_below_yi(high, first=True) * 10**8 + (
        _parse_below_yi(low, first=False) if low else 0
    )


def parse_chinese_amount(text: str) -> Decimal:
    """Inverse of :func:`amount_to_chinese`, tolerant of 圆/元, 正/整, spaces and a 人民币 prefix.

    Optional 零 at 万/亿/元 boundaries (壹拾万零柒仟, 壹仟元零叁角) are accepted, as bank practice
    allows both forms; see :func:`_parse_section` for what is rejected.
    """
    s = "".join(text.split()).removeprefix("人民币").replace("圆", "元").replace("正", "整")
    s = "".join(_DIGIT_VARIANTS.get(c, c) for c in s)
    if not s or any(c not in DIGITS + "拾佰仟万亿元角分整" for c in s):
        raise ValueError(f"not an amount in capitals: {text!r}")
    integer_part, yuan, fraction = s.partition("元")
    if not yuan:
        if not any(u in s for u in "角分"):
            raise ValueError(f"no 元 in amount: {text!r}")
        integer_part, fraction = "", s
    try:
        total = _parse_integer(integer_part) if yuan else 0
    except ValueError as exc:
        raise ValueError(f"not an amount in capitals: {text!r} ({exc})") from exc
    m = _FRACTION_RE.fullmatch(fraction)
    if m is None:
        raise ValueError(f"bad jiao/fen in {text!r}")
    cents = sum(DIGITS.index(d) * w for d, w in ((m.group(1), 10), (m.group(2), 1)) if d)
    return (Decimal(total) + Decimal(cents) / 100).quantize(Decimal("0.01"))
