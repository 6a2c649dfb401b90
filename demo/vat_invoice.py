"""Layout of the VAT general invoice (增值税普通发票): a brown pre-printed form, machine-filled.

The invoice code (unlabelled, under the QR code) and the two totals of the 合计 row (under the
金额 and 税额 column heads) are located by region; the other fields follow their printed labels.
The filled-in values are shifted a few pixels against the form, as an invoice printer does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from billtext.amounts import amount_to_chinese
from recognition.engine.textgen import ValueGenerator

from .canvas import Box, Page, Seal, Style
from .common import BANKS, branch, code_chars, format_date, past_date

SIZE = (1800, 1100)
_FORM = (150, 72, 42)
_CENT = Decimal("0.01")
_PROVINCES = ("北京", "上海", "广东", "浙江", "江苏", "四川", "湖北", "山东", "深圳", "福建")
_ITEMS = (  # category, name, unit, spec, price range (yuan), VAT rate (%)
    ("办公用品", "签字笔", "支", "0.5mm", (1, 10), 13),
    ("纸制品", "A4复印纸", "箱", "70g", (80, 200), 13),
    ("计算机配套产品", "显示器", "台", "27英寸", (600, 3000), 13),
    ("电子元件", "电容器", "个", "10uF", (1, 5), 13),
    ("信息技术服务", "技术服务费", "次", "", (1000, 50000), 6),
    ("餐饮服务", "餐费", "次", "", (100, 3000), 6),
    ("住宿服务", "住宿费", "天", "标准间", (200, 800), 6),
    ("运输服务", "国内运费", "次", "", (50, 5000), 9),
    ("现代服务", "咨询服务费", "项", "", (2000, 80000), 6),
)
_HEADS = ("货物或应税劳务、服务名称", "规格型号", "单位", "数量", "单价", "金额", "税率", "税额")


@dataclass(frozen=True)
class _Item:
    name: str
    spec: str
    unit: str
    qty: int
    price: Decimal
    amount: Decimal
    rate: int
    tax: Decimal


def _items(rng: random.Random) -> list[_Item]:
    out = []
    for category, name, unit, spec, (low, high), rate in rng.sample(_ITEMS, rng.randrange(1, 5)):
        qty = rng.randrange(1, 4) if high >= 1000 else rng.randrange(1, 60)
        price = (Decimal(rng.randrange(low * 100, high * 100)) / 100).quantize(_CENT)
        amount = (price * qty).quantize(_CENT)
        tax = (amount * rate / 100).quantize(_CENT, rounding=ROUND_HALF_UP)
        out.append(_Item(f"*{category}*{name}", spec, unit, qty, price, amount, rate, tax))
    return out


def _invoice_code(rng: random.Random, year: int) -> str:
    region = rng.choice(("4403", "1100", "3100", "3201", "3301", "5101", "4201", "3702"))
    return f"0{region}{year % 100:02d}{rng.randrange(1000):03d}{rng.choice('12')}{rng.choice('01')}"


def _values(vg: ValueGenerator, items: list[_Item]) -> dict[str, str]:
    day = past_date(vg)
    amount = sum((i.amount for i in items), Decimal(0))
    tax = sum((i.tax for i in items), Decimal(0))
    return {
        "invoice_code": _invoice_code(vg.rng, day.year),
        "invoice_number": f"{vg.rng.randrange(10**8):08d}",
        "issue_date": format_date(day, "zh"),
        "buyer_name": vg.company(),
        "buyer_tax_id": vg.credit_code(),
        "seller_name": vg.company(),
        "seller_tax_id": vg.credit_code(),
        "amount_total": f"¥{amount:.2f}",
        "tax_total": f"¥{tax:.2f}",
        "total_in_words": amount_to_chinese(amount + tax),
        "total": f"¥{amount + tax:.2f}",
    }


class _Invoice:
    def __init__(
        self, page: Page, style: Style, values: dict[str, str], vg: ValueGenerator
    ) -> None:
        self.page, self.style, self.values, self.vg = page, style, values, vg
        self.shift = (page.jitter(7), page.jitter(5))

    def form_text(
        self, xy: tuple[float, float], text: str, size: int | None = None, anchor: str = "lm"
    ) -> Box:
        return self.page.text(
            xy,
            text,
            self.style.label_font,
            size or self.style.label_size,
            fill=_FORM,
            anchor=anchor,
        )

    def printed(
        self,
        xy: tuple[float, float],
        text: str,
        *,
        size: int | None = None,
        anchor: str = "lm",
        max_width: float | None = None,
    ) -> Box:
        """Machine-printed fill-in, offset like the whole print run."""
        size = size or self.style.value_size
        if max_width:
            size = self.page.fit_size(text, self.style.value_font, size, max_width, floor=size - 5)
        x, y = xy[0] + self.shift[0], xy[1] + self.shift[1]
        return self.page.text((x, y), text, self.style.value_font, size, anchor=anchor)

    def labelled(self, key: str, x: float, y: float, *, alias_odds: float = 0.2) -> Box:
        label = self.page.label_text(key, alias_odds=alias_odds)
        box = self.page.label(key, self.form_text((x, y), label + "："))
        value = self.values[key]
        return self.page.value(key, value, self.printed((box[2] + 8, y), value))

    def vertical(self, x0: int, y0: int, x1: int, y1: int, text: str) -> None:
        step = (y1 - y0) / (len(text) + 1)
        for i, ch in enumerate(text):
            self.form_text(((x0 + x1) / 2, y0 + step * (i + 1)), ch, anchor="mm")

    def party(self, prefix: str, x0: int, y0: int, x1: int, side: str, side_text: list[str]) -> int:
        """Buyer or seller block: name, tax id, address and bank lines; returns its bottom."""
        page, rng = self.page, self.page.rng
        y1 = y0 + 176
        page.rect((x0, y0, x1, y1), _FORM, 2)
        page.vline(x0 + 52, y0, y1, _FORM, 2)
        self.vertical(x0, y0, x0 + 52, y1, "购买方" if prefix == "buyer" else "销售方")
        split = x0 + 1055 + page.jitter(10)
        page.vline(split, y0, y1, _FORM, 2)
        page.vline(split + 52, y0, y1, _FORM, 2)
        self.vertical(split, y0, split + 52, y1, side)
        lx = x0 + 66
        self.labelled(f"{prefix}_name", lx, y0 + 24)
        self.labelled(f"{prefix}_tax_id", lx, y0 + 66)
        bank = rng.choice(BANKS)
        extra = (
            ("地址、电话：", f"{self.vg.address()} {self.vg.phone()}"),
            ("开户行及账号：", f"{branch(self.vg, bank)} {self.vg.account().replace(' ', '')}"),
        )
        for i, (label, text) in enumerate(extra):
            box = self.form_text((lx, y0 + 108 + 42 * i), label)
            self.printed((box[2] + 8, y0 + 108 + 42 * i), text, max_width=split - box[2] - 24)
        for i, text in enumerate(side_text):
            font = "dejavu-mono" if text.isascii() else self.style.value_font
            self.page.text((split + 66, y0 + 34 + 36 * i), text, font, 22)
        return y1


def _items_table(inv: _Invoice, items: list[_Item], x0: int, x1: int, top: int) -> None:
    """Column heads, item rows and the 合计 row, whose totals are pinned to their regions."""
    page = inv.page
    ax0, ay0, ax1, ay1 = page.region("amount_total")
    tx1 = page.region("tax_total")[2]
    amount_right = ax1 - 16 + page.jitter(3)
    edges = [
        x0,
        x0 + 440 + page.jitter(10),
        0,
        0,
        0,
        amount_right - 250,
        amount_right,
        amount_right + 120,
        x1,
    ]
    edges[2], edges[3], edges[4] = edges[1] + 160, edges[1] + 240, edges[1] + 350
    total_y = (ay0 + ay1) / 2 + page.jitter(3)
    total_top = round(total_y - 22)
    head_bottom = top + 42
    for i, head in enumerate(_HEADS):
        size = page.fit_size(
            head,
            inv.style.label_font,
            inv.style.label_size - 2,
            edges[i + 1] - edges[i] - 8,
            floor=14,
        )
        inv.form_text(((edges[i] + edges[i + 1]) / 2, top + 21), head, size, anchor="mm")
        if i:
            page.vline(edges[i], top, total_top, _FORM, 1)
    page.hline(x0, x1, head_bottom, _FORM, 1)
    size = inv.style.value_size - 6
    for r, item in enumerate(items):
        y = head_bottom + 22 + r * 38
        cells = (
            item.name,
            item.spec,
            item.unit,
            str(item.qty),
            f"{item.price:.2f}",
            f"{item.amount:.2f}",
            f"{item.rate}%",
            f"{item.tax:.2f}",
        )
        for i, text in enumerate(cells):
            if not text:
                continue
            if i < 3:
                inv.printed((edges[i] + 8, y), text, size=size, max_width=edges[i + 1] - edges[i])
            else:
                inv.printed((edges[i + 1] - 10, y), text, size=size, anchor="rm")
    page.hline(x0, x1, total_top, _FORM, 1)
    inv.form_text(((edges[0] + edges[1]) / 2, total_y), "合　　计", anchor="mm")
    for key, right in (("amount_total", amount_right - 12), ("tax_total", tx1 - 28)):
        box = page.text(
            (right + page.jitter(3), total_y),
            inv.values[key],
            inv.style.value_font,
            inv.style.value_size,
            anchor="rm",
        )
        page.value(key, inv.values[key], box)


def _qr_code(page: Page, x: int, y: int, modules: int = 28, pitch: int = 4) -> None:
    """A QR-looking block (random modules, three finder squares); it encodes nothing."""
    rng = page.rng
    cells = [(i, j) for i in range(modules) for j in range(modules) if rng.random() < 0.5]
    for ci, cj in ((0, 0), (modules - 7, 0), (0, modules - 7)):
        cells += [
            (ci + i, cj + j)
            for i in range(7)
            for j in range(7)
            if i in (0, 6) or j in (0, 6) or (1 < i < 5 and 1 < j < 5)
        ]
    for i, j in cells:
        page.draw.rectangle(
            (x + i * pitch, y + j * pitch, x + i * pitch + pitch - 1, y + j * pitch + pitch - 1),
            fill=(0, 0, 0),
        )


def render(page: Page, vg: ValueGenerator) -> None:
    rng = page.rng
    w, _ = page.size
    style = Style.pick(rng)
    items = _items(vg.rng)
    values = _values(vg, items)
    inv = _Invoice(page, style, values, vg)
    dx, dy = page.jitter(10), page.jitter(8)
    province = rng.choice(_PROVINCES)

    _qr_code(page, 60 + page.jitter(6), 22 + page.jitter(4))
    rx0, ry0, _, ry1 = page.region("invoice_code")
    code_box = page.text(
        (rx0 + w * 0.012 + rng.uniform(0, 8), (ry0 + ry1) / 2 + page.jitter(4)),
        values["invoice_code"],
        style.value_font,
        style.value_size,
    )
    page.value("invoice_code", values["invoice_code"], code_box)

    title = f"{province}增值税普通发票"
    title_font = rng.choice(("noto-serif-sc-bold", "ar-pl-uming"))
    tbox = page.text((w / 2 + dx, 74 + dy), title, title_font, 54, fill=_FORM, anchor="mm")
    page.hline(tbox[0] - 20, tbox[2] + 20, tbox[3] + 12, _FORM, 2)
    page.hline(tbox[0] - 20, tbox[2] + 20, tbox[3] + 18, _FORM, 2)
    inv.form_text((w / 2 + dx, tbox[3] + 48), "发　票　联", style.label_size - 2, anchor="mm")
    page.seals.append(
        Seal(
            "oval",
            (round(w / 2 + dx), round(74 + dy)),
            (190, 124),
            "全国统一发票监制章",
            "国家税务总局",
            f"{province}税务局",
        )
    )
    rx = 1280 + dx
    inv.labelled("invoice_number", rx, 58 + dy)
    inv.labelled("issue_date", rx, 104 + dy, alias_odds=0)
    check = " ".join(code_chars(rng, 5, "0123456789") for _ in range(4))
    box = inv.form_text((rx, 150 + dy), "校 验 码：")
    size = page.fit_size(check, style.value_font, style.label_size, w - 30 - box[2], floor=12)
    page.text((box[2] + 8, 150 + dy), check, style.value_font, size)

    x0, x1 = 45 + dx, page.region("tax_total")[2] - 16 + page.jitter(3)
    top = 238 + dy
    cipher = ["".join(rng.choice("0123456789+-*/<>") for _ in range(28)) for _ in range(4)]
    bottom = inv.party("buyer", x0, top, x1, "密码区", cipher)
    ay1 = page.region("amount_total")[3]
    _items_table(inv, items, x0, x1, bottom)
    total_bottom = round((page.region("amount_total")[1] + ay1) / 2 + 22)
    page.rect((x0, bottom, x1, total_bottom), _FORM, 2)

    row_bottom = total_bottom + 62
    page.rect((x0, total_bottom, x1, row_bottom), _FORM, 2)
    label_right = x0 + 300
    page.vline(label_right, total_bottom, row_bottom, _FORM, 2)
    cy = (total_bottom + row_bottom) / 2
    page.label(
        "total_in_words",
        inv.form_text(((x0 + label_right) / 2, cy), page.label_text("total_in_words"), anchor="mm"),
    )
    page.value(
        "total_in_words",
        values["total_in_words"],
        inv.printed((label_right + 40, cy), values["total_in_words"]),
    )
    small_x = x0 + 1120 + page.jitter(10)
    small_label = page.label_text("total", alias_odds=0.9)
    box = page.label("total", inv.form_text((small_x, cy), small_label))
    page.value("total", values["total"], inv.printed((box[2] + 10, cy), values["total"]))

    remarks = [f"订单号：{code_chars(rng, 12, '0123456789')}"]
    seller_bottom = inv.party("seller", x0, row_bottom, x1, "备注", remarks)
    footer_y = seller_bottom + 34
    for i, label in enumerate(("收款人：", "复核：", "开票人：", "销售方：（章）")):
        box = inv.form_text((x0 + 60 + i * 400, footer_y), label)
        if i < 3:
            inv.printed((box[2] + 16, footer_y), vg.name(), size=style.value_size - 4)
    centre = (round(x0 + 1260 + rng.uniform(0, 160)), round(seller_bottom - rng.uniform(10, 60)))
    seal_size = (rng.randrange(250, 280), rng.randrange(170, 190))
    page.seals.append(
        Seal(
            "oval", centre, seal_size, values["seller_name"], values["seller_tax_id"], "发票专用章"
        )
    )
