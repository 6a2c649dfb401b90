"""Layout of the personal loan application form (个人贷款申请表), filled in by hand.

Labels are printed in ruled cells and the applicant's answers are pen-written beside them; the
ID number goes one digit per printed square. The application date, written on a line under the
declaration next to the signature, is located by its region.
"""

from __future__ import annotations

from billtext.amounts import amount_to_chinese
from recognition.engine.textgen import ValueGenerator

from .canvas import INK, PEN_BLUE, Box, Page, Seal, Style, size_for_cap
from .common import BANKS, amount_between, branch, draw_logo, format_amount, format_date, past_date

SIZE = (1240, 1754)
_RULE = (40, 40, 40)
_BAR = (226, 226, 226)
_HAND_CAP_PX = 25.0
_DECLARATION = (
    "本人保证以上所填写的内容及所提供的资料真实、准确、完整，如有虚假，本人愿承担相应的法律责任。"
    "本人同意贵行向中国人民银行金融信用信息基础数据库查询本人的信用报告，并按照相关规定报送本人的"
    "信用信息。本人已阅读并理解贷款合同条款，自愿申请上述贷款。"
)
_PURPOSES = ("个人消费", "住房装修", "购车", "教育", "经营周转")


def _mobile(vg: ValueGenerator) -> str:
    while not (phone := vg.phone()).startswith("1"):
        pass
    return phone


def _values(page: Page, vg: ValueGenerator) -> dict[str, str]:
    rng = page.rng
    amount = amount_between(vg, 10_000, 800_000, round_to=rng.choice((1000, 5000, 10000)))
    return {
        "applicant_name": vg.name(),
        "id_number": vg.id_number(),
        "mobile": _mobile(vg),
        "amount": format_amount(amount, symbol=rng.random() < 0.3, grouping=rng.random() < 0.5),
        "amount_in_words": ("人民币" if rng.random() < 0.3 else "") + amount_to_chinese(amount),
        "term_months": str(rng.choice((6, 12, 24, 36, 36, 60, 120, 240, 360))),
        "application_date": format_date(
            past_date(vg), rng.choice(("zh_short", "zh", "iso", "dot", "slash"))
        ),
        "address": f"{vg.address()}{rng.randrange(1, 300)}号",
        "employer": vg.company(),
        "repayment_account": vg.account(),
    }


class _Form:
    """Row-by-row drawing of the ruled form, keeping the current y."""

    def __init__(
        self, page: Page, style: Style, values: dict[str, str], x0: int, x1: int, y: int
    ) -> None:
        self.page, self.style, self.values = page, style, values
        self.x0, self.x1, self.y = x0, x1, y
        self.label_w = 220 + page.jitter(10)
        self.row_h = 84 + page.rng.randrange(-3, 5)
        self.hand = size_for_cap("ar-pl-ukai", _HAND_CAP_PX)
        self.centred = page.rng.random() < 0.5

    def bar(self, text: str) -> None:
        y0, y1 = self.y, self.y + 48
        self.page.rect((self.x0, y0, self.x1, y1), _RULE, 2, fill=_BAR)
        self.page.text(
            (self.x0 + 14, (y0 + y1) / 2), text, self.style.label_font, self.style.label_size
        )
        self.y = y1

    def label_cell(self, x0: int, x1: int, text: str, key: str | None = None) -> None:
        y0, y1 = self.y, self.y + self.row_h
        self.page.rect((x0, y0, x1, y1), _RULE, 2)
        size = self.page.fit_size(
            text,
            self.style.label_font,
            self.style.label_size,
            x1 - x0 - 16,
            floor=self.style.label_size - 6,
        )
        centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        xy, anchor = (centre, "mm") if self.centred else ((x0 + 12, centre[1]), "lm")
        box = self.page.text(xy, text, self.style.label_font, size, anchor=anchor)
        if key:
            self.page.label(key, box)

    def value_cell(self, x0: int, x1: int, key: str, text: str) -> None:
        y0, y1 = self.y, self.y + self.row_h
        self.page.rect((x0, y0, x1, y1), _RULE, 2)
        start = x0 + 14 + self.page.rng.uniform(0, 18)
        # A hand squeezes a long address into the box; 1.1 covers the size and spacing jitter.
        natural = self.page.text_width(text, "ar-pl-ukai", self.hand) * 1.1
        size = min(self.hand, int(self.hand * (x1 - 10 - start) / natural))
        baseline = (y0 + y1) / 2 + size * 0.36 + self.page.jitter(3)
        self.page.value(key, text, self.page.handwrite((start, baseline), text, size))

    def ticks(self, x0: int, x1: int, options: tuple[str, ...], chosen: int) -> None:
        y0, y1 = self.y, self.y + self.row_h
        self.page.rect((x0, y0, x1, y1), _RULE, 2)
        x, cy = x0 + 16, (y0 + y1) / 2
        size = self.style.label_size - 2
        for i, option in enumerate(options):
            self.page.rect((x, round(cy - 11), x + 22, round(cy + 11)), INK, 2)
            if i == chosen:
                self.page.draw.line(
                    [(x + 3, cy), (x + 10, cy + 10), (x + 28, cy - 16)], fill=PEN_BLUE, width=4
                )
            box = self.page.text((x + 30, cy), option, self.style.label_font, size)
            x = box[2] + 26

    def row(self, *cells: tuple[str, str | None]) -> None:
        """One or two cells: ``(field key, None)`` prints the field's label and writes its
        value by hand; ``(label, "option/option")`` prints tick boxes with one ticked."""
        page, values = self.page, self.values
        widths = self.x1 - self.x0
        if len(cells) == 1:
            spans: list[tuple[int, int]] = [(self.x0, self.x1)]
        else:
            mid = self.x0 + widths // 2 + page.jitter(15)
            spans = [(self.x0, mid), (mid, self.x1)]
        for (key, option), (sx0, sx1) in zip(cells, spans, strict=True):
            split = sx0 + (self.label_w if sx0 == self.x0 else self.label_w - 20)
            if key in values:
                self.label_cell(sx0, split, page.label_text(key), key)
                if key == "id_number":
                    self._id_squares(split, sx1, values[key])
                else:
                    self.value_cell(split, sx1, key, values[key])
            else:
                self.label_cell(sx0, split, key)
                choices = tuple((option or "").split("/"))
                self.ticks(split, sx1, choices, page.rng.randrange(len(choices)))
        self.y += self.row_h

    def _id_squares(self, x0: int, x1: int, number: str) -> None:
        y0, y1 = self.y, self.y + self.row_h
        self.page.rect((x0, y0, x1, y1), _RULE, 2)
        pitch, top = 42, y0 + 12
        left = x0 + 16
        for i in range(len(number)):
            self.page.rect((left + i * pitch, top, left + (i + 1) * pitch, y1 - 12), INK, 1)
        baseline = (y0 + y1) / 2 + self.hand * 0.36 + self.page.jitter(2)
        box = self.page.handwrite((left, baseline), number, self.hand, pitch=pitch)
        self.page.value("id_number", number, box)


def _declaration(page: Page, form: _Form) -> None:
    size = form.style.label_size - 4
    font = form.style.label_font
    x, y = form.x0 + 20 + 2 * size, form.y + 36
    line = ""
    for ch in _DECLARATION:
        if x + page.text_width(line + ch, font, size) > form.x1 - 20:
            page.text((x, y), line, font, size)
            x, y, line = form.x0 + 20, y + size + 14, ""
        line += ch
    page.text((x, y), line, font, size)
    form.y = y + 40


def _signature(page: Page, form: _Form, values: dict[str, str]) -> Box:
    style, rng = form.style, page.rng
    rx0, ry0, rx1, ry1 = page.region("application_date")
    base = (ry0 + ry1) / 2 + form.hand * 0.36 + page.jitter(4)
    label_y = base - form.hand * 0.3
    page.text((form.x0 + 20, label_y), "申请人签字：", style.label_font, style.label_size)
    page.hline(form.x0 + 190, rx0 - 190, base + 8, INK, 1)
    page.handwrite(
        (form.x0 + 210 + rng.uniform(0, 30), base),
        values["applicant_name"],
        round(form.hand * 1.15),
        spacing=1.1,
    )
    label = page.label_text("application_date")
    width = page.text_width(label + "：", style.label_font, style.label_size)
    page.label(
        "application_date",
        page.text((rx0 - 10 - width, label_y), label + "：", style.label_font, style.label_size),
    )
    page.hline(rx0, min(rx1, form.x1) - 20, base + 8, INK, 1)
    start = rx0 + 24 + rng.uniform(0, 20)
    box = page.handwrite((start, base), values["application_date"], form.hand)
    page.value("application_date", values["application_date"], box)
    return box


def render(page: Page, vg: ValueGenerator) -> None:
    rng = page.rng
    w, _ = page.size
    style = Style.pick(rng)
    bank = rng.choice(BANKS)
    values = _values(page, vg)
    dx, dy = page.jitter(w * 0.012), page.jitter(14)

    title = f"{bank.name}个人贷款申请表"
    title_font = rng.choice(("noto-serif-sc-bold", "noto-sans-sc-bold", "ar-pl-uming"))
    tbox = page.text((w / 2 + dx, 100 + dy), title, title_font, 50, anchor="mm")
    draw_logo(page, (tbox[0] - 44, 100 + dy), 26, bank.colour)
    small = style.label_size - 4
    page.text(
        (70 + dx, 170 + dy),
        "填表说明：请用黑色或蓝色钢笔、签字笔填写，字迹工整。",
        style.label_font,
        small,
    )
    page.text((1170 + dx, 170 + dy), f"编号：{vg.digits(14)}", style.label_font, small, anchor="rm")

    form = _Form(page, style, values, 70 + dx, 1170 + dx, 200 + dy)
    form.bar("一、申请人基本信息")
    form.row(("applicant_name", None), ("性别", "男/女"))
    form.row(("id_number", None))
    form.row(("mobile", None), ("婚姻状况", "未婚/已婚/其他"))
    form.row(("address", None))
    form.row(("employer", None))
    form.y += 16
    form.bar("二、贷款申请信息")
    form.row(("amount", None), ("term_months", None))
    form.row(("amount_in_words", None))
    form.row(("贷款用途", "/".join(_PURPOSES)))
    form.row(("repayment_account", None))
    form.y += 16
    form.bar("三、申请人声明")
    top = form.y
    _declaration(page, form)
    date_box = _signature(page, form, values)
    form.y = max(form.y, date_box[3]) + 40
    page.rect((form.x0, top, form.x1, form.y), _RULE, 2)
    form.y += 16
    form.bar("四、银行审核意见（以下由银行填写）")
    top = form.y
    for i, text in enumerate(("经办人：", "审核人：", "受理日期：　　年　　月　　日")):
        page.text(
            (form.x0 + 20 + (i % 2) * 520, top + 50 + (i // 2) * 70),
            text,
            style.label_font,
            style.label_size,
        )
    page.rect((form.x0, top, form.x1, top + 190), _RULE, 2)
    diameter = rng.randrange(190, 226)
    centre = (round(form.x0 + 560 + rng.uniform(90, 300)), round(top + 95 + page.jitter(25)))
    arc = branch(vg, bank).replace(bank.short, bank.name, 1)
    page.seals.append(Seal("round", centre, (diameter, diameter), arc, "", "个人信贷业务专用章"))
