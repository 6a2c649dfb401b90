"""Layout of the bank transaction slip (银行业务回单): a ruled two-party table under a title.

Every field but one is a label cell followed by its value cell; the slip number sits in a small
box in the top-right corner and is located by its region.
"""

from __future__ import annotations

from datetime import date, timedelta

from billtext.amounts import amount_to_chinese
from recognition.engine.textgen import ValueGenerator

from .canvas import INK, Page, Seal, Style
from .common import BANKS, branch, code_chars, draw_logo, format_amount, format_date, past_date

SIZE = (1600, 900)
_RULE = (60, 60, 60)
_SHADE = (234, 240, 248)
_PURPOSES = (
    "货款",
    "工资",
    "往来款",
    "服务费",
    "房租",
    "报销款",
    "借款",
    "还款",
    "采购款",
    "咨询费",
)


def _values(page: Page, vg: ValueGenerator, bank_name: str, day: date) -> dict[str, str]:
    rng = page.rng
    payee_bank = rng.choice(BANKS)
    amount = vg.amount_value()
    return {
        "slip_number": vg.digits(12),
        "transaction_date": format_date(day, rng.choice(("iso", "zh", "slash"))),
        "payer_name": vg.name(),
        "payer_account": vg.account(),
        "payer_bank": branch(vg, next(b for b in BANKS if b.name == bank_name)),
        "payee_name": vg.company(),
        "payee_account": vg.account(),
        "payee_bank": branch(vg, payee_bank),
        "amount": format_amount(amount, symbol=rng.random() < 0.6, grouping=rng.random() < 0.8),
        "amount_in_words": ("人民币" if rng.random() < 0.5 else "") + amount_to_chinese(amount),
        "purpose": rng.choice(_PURPOSES),
        "serial_number": vg.digits(rng.choice((16, 18, 20))),
    }


def _slip_number_box(page: Page, style: Style, number: str) -> None:
    rx0, ry0, rx1, ry1 = page.region("slip_number")
    w = page.size[0]
    page.rect((rx0 + 6, ry0 - 46, rx1 - 6, ry1 - 4), _RULE, 2)
    page.hline(rx0 + 6, rx1 - 6, ry0 - 6, _RULE, 1)
    label = page.label_text("slip_number")
    size = style.label_size - 2
    page.label(
        "slip_number",
        page.text(((rx0 + rx1) / 2, ry0 - 26), label, style.label_font, size, anchor="mm"),
    )
    x = rx0 + w * 0.02 + page.rng.uniform(0, 10)
    y = (ry0 + ry1) / 2 + page.jitter(4)
    page.value("slip_number", number, page.text((x, y), number, style.value_font, style.value_size))


def render(page: Page, vg: ValueGenerator) -> None:
    rng = page.rng
    w, h = page.size
    style = Style.pick(rng)
    bank = rng.choice(BANKS)
    day = past_date(vg)
    values = _values(page, vg, bank.name, day)
    dx, dy = page.jitter(w * 0.012), page.jitter(h * 0.012)

    title = (
        bank.name
        + rng.choice(("业务回单", "电子回单", "客户回单"))
        + rng.choice(("（付款）", "（转账）", ""))
    )
    title_font = rng.choice(("noto-serif-sc-bold", "noto-sans-sc-bold"))
    tbox = page.text((w / 2 + dx, 64 + dy), title, title_font, 46, anchor="mm")
    draw_logo(page, (tbox[0] - 42, 64 + dy), 24, bank.colour)
    page.hline(tbox[0], tbox[2], tbox[3] + 10, INK, 2)
    channel = rng.choice(("网上银行", "柜面", "手机银行", "企业网银"))
    page.text(
        (60 + dx, 165 + dy),
        f"币种：人民币    交易渠道：{channel}",
        style.label_font,
        style.label_size - 2,
    )
    _slip_number_box(page, style, values["slip_number"])

    x0, x1 = 50 + dx, w - 50 + dx
    l1, l2 = 205 + page.jitter(12), 205 + page.jitter(12)
    v1 = (x1 - x0 - l1 - l2) // 2 + page.jitter(20)
    xs = (x0, x0 + l1, x0 + l1 + v1, x0 + l1 + v1 + l2, x1)
    row_h = 66 + rng.randrange(-3, 6)
    money = [("amount_in_words", None), ("amount", "transaction_date")]
    if rng.random() < 0.4:
        money.reverse()
    rows = [
        ("payer_name", "payee_name"),
        ("payer_account", "payee_account"),
        ("payer_bank", "payee_bank"),
        *money,
        ("purpose", "serial_number"),
        ("备注", None),
    ]
    top = 200 + dy
    shade = rng.random() < 0.5
    for i, (left, right) in enumerate(rows):
        y0, y1 = top + i * row_h, top + (i + 1) * row_h
        cells = [(left, xs[0], xs[1], xs[1], xs[2] if right else xs[4])]
        if right:
            cells.append((right, xs[2], xs[3], xs[3], xs[4]))
        for key, lx0, lx1, vx0, vx1 in cells:
            if shade:
                page.rect((lx0, y0, lx1, y1), _RULE, 0, fill=_SHADE)
            page.vline(lx1, y0, y1, _RULE, 2)
            if lx0 != xs[0]:
                page.vline(lx0, y0, y1, _RULE, 2)
            cy = (y0 + y1) / 2
            if key == "备注":
                page.text(
                    ((lx0 + lx1) / 2, cy), "备注", style.label_font, style.label_size, anchor="mm"
                )
                note = f"手续费：0.00元    验证码：{code_chars(rng, 10)}"
                page.text((vx0 + 14, cy), note, style.label_font, style.label_size - 2)
                continue
            label = page.label_text(key)
            lsize = page.fit_size(
                label,
                style.label_font,
                style.label_size,
                lx1 - lx0 - 12,
                floor=style.label_size - 6,
            )
            page.label(
                key,
                page.text(
                    ((lx0 + lx1) / 2, cy + page.jitter(2)),
                    label,
                    style.label_font,
                    lsize,
                    anchor="mm",
                ),
            )
            text = values[key]
            size = page.fit_size(
                text, style.value_font, style.value_size, vx1 - vx0 - 28, floor=style.value_size - 4
            )
            box = page.text(
                (vx0 + 12 + rng.uniform(0, 8), cy + page.jitter(3)), text, style.value_font, size
            )
            page.value(key, text, box)
        page.hline(x0, x1, y1, _RULE, 2)
    bottom = top + len(rows) * row_h
    page.rect((x0, top, x1, bottom), _RULE, 3)

    printed = day + timedelta(days=rng.randrange(0, 30))
    footer = (
        f"打印日期：{printed.isoformat()}    柜员号：{vg.digits(6)}    "
        f"打印次数：{rng.randrange(1, 4)}"
    )
    page.text((x0 + 10, bottom + 36), footer, style.label_font, style.label_size - 3)
    page.text(
        (x0 + 10, bottom + 80),
        "温馨提示：本回单不作为收款方发货依据，请勿重复记账。",
        style.label_font,
        style.label_size - 4,
    )
    diameter = rng.randrange(200, 236)
    centre = (
        round(xs[3] + (x1 - xs[3]) * rng.uniform(0.35, 0.7)),
        round(bottom - row_h * rng.uniform(0.3, 1.4)),
    )
    arc = values["payer_bank"].replace(bank.short, bank.name, 1)
    page.seals.append(
        Seal(
            "round",
            centre,
            (diameter, diameter),
            arc,
            "",
            rng.choice(("业务专用章", "电子回单专用章", "业务专用章")),
        )
    )
