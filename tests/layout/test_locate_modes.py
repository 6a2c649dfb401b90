"""Every way a field is located on a real layout: sections, n-th label, best label over the page,
letter-spaced labels, value boxes, table columns, frame regions, patterns, blocks under another
field, fallbacks, layout variants; and that a value never carries its label."""

from __future__ import annotations

import pytest

from documents.rules.location import parse_layout, parse_location
from processing.layout import content_box, frame_box, sections_of, table_frame, variant_of
from processing.locate import Located, OcrLine, SpecView, locate_fields
from processing.ocrlines import reading_order

PAGE = [(1600, 1100)]


def ocr(text: str, box: tuple[int, int, int, int], *, page: int = 0, conf: float = 0.99) -> OcrLine:
    """A line whose characters share its width equally, as CTC spans would."""
    n = max(1, len(text))
    spans = tuple((i / n, (i + 1) / n) for i in range(len(text)))
    return OcrLine(page, box, text, conf, (conf,) * len(text), spans)


def spec(key: str, label: str, location: dict | None = None, aliases=()) -> SpecView:
    return SpecView(key, label, tuple(aliases), None, parse_location(location))


def locate(specs, lines, *, layout=None, pages=PAGE, frames=None) -> dict[str, Located | None]:
    return locate_fields(specs, lines, pages, layout=parse_layout(layout), frames=frames)


def text(found: Located | None) -> str | None:
    return None if found is None else found.text


# An e-invoice's party blocks side by side, as the fully digital invoice prints them: vertical
# headings 购买方信息 | 销售方信息, one glyph per line, and the same labels in both blocks.
SIDE_BY_SIDE = [
    ocr("购", (44, 257, 70, 283)),
    ocr("销", (835, 258, 863, 283)),
    ocr("名称:武汉物图科技有限公司", (88, 264, 407, 292)),
    ocr("名称:北京假日旅行社有限公司", (879, 264, 1300, 292)),
    ocr("买", (45, 287, 70, 313)),
    ocr("售", (836, 287, 861, 313)),
    ocr("纳税人识别号:91420100MA7HTDC99N", (88, 348, 700, 376)),
    ocr("纳税人识别号:91411103MA9KDP5M2E", (879, 349, 1500, 376)),
]
# The older VAT invoice: buyer block above the items, seller block below, 名 称 spaced out.
STACKED = [
    ocr("名", (133, 237, 158, 263)),
    ocr("称:武汉市车城物流有限公司", (258, 238, 581, 266)),
    ocr("购", (80, 254, 105, 279)),
    ocr("纳税人识别号:914201007483062457", (133, 276, 558, 304)),
    ocr("买", (80, 297, 105, 322)),
    ocr("名", (133, 820, 158, 846)),
    ocr("称:湖北中交嘉通高速公路发展有限公司", (258, 821, 700, 850)),
    ocr("销", (77, 837, 105, 862)),
    ocr("纳税人识别号:91421200052621669E", (133, 857, 554, 886)),
    ocr("售", (77, 879, 102, 906)),
]
PARTIES = {"sections": {"buyer": ["购买方", "购"], "seller": ["销售方", "销"]}}


def party_specs(mode: str) -> list[SpecView]:
    if mode == "section":
        where = [{"section": "buyer"}, {"section": "seller"}]
    else:
        where = [{"occurrence": 1}, {"occurrence": 2}]
    return [
        spec("buyer_name", "名称", where[0]),
        spec("buyer_tax_id", "纳税人识别号", where[0]),
        spec("seller_name", "名称", where[1]),
        spec("seller_tax_id", "纳税人识别号", where[1]),
    ]


@pytest.mark.parametrize("mode", ["section", "occurrence"])
@pytest.mark.parametrize("lines", [SIDE_BY_SIDE, STACKED], ids=["side-by-side", "stacked"])
def test_buyer_and_seller_each_get_their_own_block_whatever_the_layout(mode, lines):
    found = locate(party_specs(mode), lines, layout=PARTIES)
    assert text(found["buyer_name"]) in ("武汉物图科技有限公司", "武汉市车城物流有限公司")
    assert text(found["seller_name"]) in (
        "北京假日旅行社有限公司",
        "湖北中交嘉通高速公路发展有限公司",
    )
    assert text(found["buyer_tax_id"]) in ("91420100MA7HTDC99N", "914201007483062457")
    assert text(found["seller_tax_id"]) in ("91411103MA9KDP5M2E", "91421200052621669E")


def test_sections_hold_the_lines_nearest_their_anchor():
    members = sections_of(SIDE_BY_SIDE, range(len(SIDE_BY_SIDE)), PARTIES["sections"])
    assert {SIDE_BY_SIDE[i].text[:4] for i in members["buyer"]} >= {"名称:武", "纳税人识"}
    assert all(SIDE_BY_SIDE[i].box[0] > 800 for i in members["seller"])
    assert not members["buyer"] & members["seller"]


def test_a_section_whose_anchor_is_missing_finds_nothing_and_the_fallback_takes_over():
    lines = [line for line in SIDE_BY_SIDE if line.text not in ("购", "销")]
    fallback = {"section": "seller", "fallback": [{"occurrence": 2}]}
    found = locate([spec("seller_name", "名称", fallback)], lines, layout=PARTIES)
    assert text(found["seller_name"]) == "北京假日旅行社有限公司"
    plain = locate([spec("seller_name", "名称", {"section": "seller"})], lines, layout=PARTIES)
    assert plain["seller_name"] is None


def test_occurrence_counts_from_the_end_when_negative():
    found = locate([spec("last", "名称", {"occurrence": -1})], SIDE_BY_SIDE)
    assert text(found["last"]) == "北京假日旅行社有限公司"
    assert locate([spec("third", "名称", {"occurrence": 3})], SIDE_BY_SIDE)["third"] is None


def test_an_exact_label_later_on_the_page_beats_an_earlier_one_with_a_slip():
    lines = [
        ocr("发票号吗:042001700112", (1200, 60, 1490, 90)),  # a slip: 吗 for 码
        ocr("发票号码:47502662", (1200, 100, 1430, 130)),
    ]
    assert text(locate([spec("number", "发票号码")], lines)["number"]) == "47502662"


def test_two_fields_never_claim_one_label_line_unless_declared_shared():
    lines = [
        ocr("合计", (160, 550, 310, 578)),
        ocr("¥26.53", (658, 552, 743, 578)),
        ocr("¥0.80", (800, 552, 870, 578)),
    ]
    twice = [spec("a", "合计"), spec("b", "合计")]
    found = locate(twice, lines)
    assert text(found["a"]) == "¥26.53" and found["b"] is None
    shared = [spec("a", "合计"), spec("b", "合计", {"shared": True})]
    found = locate(shared, lines)
    # The value line is still only one field's: the shared field takes the next one.
    assert (text(found["a"]), text(found["b"])) == ("¥26.53", "¥0.80")


def test_a_letter_spaced_label_is_found_across_its_pieces():
    lines = [
        ocr("名", (133, 237, 158, 263)),
        ocr("称:武汉市车城物流有限公司", (258, 238, 581, 266)),
    ]
    found = locate([spec("name", "名称")], lines)["name"]
    assert text(found) == "武汉市车城物流有限公司"
    assert found.box[0] > 258  # the 称: of the label is cut off by its position


def test_a_single_glyph_is_not_a_label_piece_of_a_longer_label_by_itself():
    lines = [ocr("名", (133, 237, 158, 263)), ocr("电话:027-8888", (258, 238, 581, 266))]
    assert locate([spec("name", "名称")], lines)["name"] is None


# The totals row of an invoice: 合 … 计 spaced out, figures under the column headers.
TOTALS = [
    ocr("项目名称", (182, 414, 285, 439)),
    ocr("单价", (591, 413, 669, 441)),
    ocr("金额", (1065, 414, 1142, 439)),
    ocr("税率/征收率", (1205, 414, 1346, 441)),
    ocr("税额", (1539, 414, 1616, 440)),
    ocr("*运输服务*客运服务费", (41, 448, 295, 476)),
    ocr("26.53", (1077, 449, 1143, 475)),
    ocr("0.80", (1564, 449, 1618, 475)),
    ocr("合", (160, 552, 188, 578)),
    ocr("计", (285, 552, 312, 578)),
    ocr("¥26.53", (1058, 560, 1143, 586)),  # rows tilt a little across a wide table
    ocr("¥0.80", (1546, 562, 1618, 588)),
]


def test_a_value_under_a_column_header_on_the_labels_row():
    specs = [
        spec("amount", "合计", {"value": {"side": "right", "column": ["金额"]}}),
        spec("tax", "合计", {"shared": True, "value": {"side": "right", "column": ["税额"]}}),
    ]
    found = locate(specs, TOTALS)
    assert text(found["amount"]) == "¥26.53"
    assert text(found["tax"]) == "¥0.80"


def test_a_value_box_in_label_heights_takes_only_the_characters_inside_it():
    # Label 26 px high; box from its right edge to 10 heights further, half a height up and down.
    lines = [ocr("开票日期:2025年11月08日 备注", (1215, 134, 1715, 160))]
    loc = {"value": {"side": "right", "box": [0, -0.5, 12, 0.5]}}
    found = locate([spec("date", "开票日期", loc)], lines, pages=[(2000, 1100)])["date"]
    assert text(found) == "2025年11月08日"
    assert found.method == "label_box"


def test_a_value_box_below_the_label():
    lines = [
        ocr("收款人", (100, 100, 180, 126)),
        ocr("孔淳晖", (100, 140, 180, 166)),
        ocr("复核人", (400, 140, 480, 166)),
    ]
    loc = {"value": {"side": "below", "box": [-0.5, 0, 5, 1.5]}}
    assert text(locate([spec("payee", "收款人", loc)], lines)["payee"]) == "孔淳晖"


def test_a_pattern_keeps_only_the_match_and_skips_candidates_without_one():
    lines = [
        ocr("TOTAL ITEMS 3", (100, 500, 400, 530)),
        ocr("TOTAL INCL. GST 6.00%", (100, 600, 450, 630)),
        ocr("RM", (540, 600, 590, 630)),
        ocr("47.70", (700, 600, 800, 630)),
    ]
    amount = r"(?<![\d.])\d+\.\d{2}(?![\d%])"
    loc = {"pattern": amount, "value": {"side": "right", "box": [0, -0.7, 40, 0.7]}}
    found = locate([spec("total", "TOTAL", loc, aliases=("TOTAL INCL GST",))], lines)
    assert text(found["total"]) == "47.70"


def test_by_pattern_takes_the_nth_match_in_reading_order():
    lines = [
        ocr("RECEIPT #: CSP0393921 DATE:15/06/2017", (60, 800, 640, 838)),
        ocr("PRINT DATE: 16/06/2017", (60, 1800, 640, 1838)),
    ]
    date = r"\d{2}/\d{2}/\d{4}"
    first = locate([spec("date", "Date", {"by": "pattern", "pattern": date})], lines)["date"]
    assert text(first) == "15/06/2017"
    assert first.box[0] > 400  # cut to the match
    last = {"by": "pattern", "pattern": date, "occurrence": -1}
    assert text(locate([spec("date", "Date", last)], lines)["date"]) == "16/06/2017"


RECEIPT_TOP = [
    ocr("Timeless Kitchenette Sdn Bhd", (461, 398, 677, 415)),
    ocr("Company no : 1174703-K", (483, 418, 654, 436)),
    ocr("Lot 50, Floor T2, Sky Avenue", (396, 437, 742, 455)),
    ocr("Pahang, 69000 Pahang Malaysia", (456, 456, 680, 474)),
    ocr("Tel: 03-1234 5678", (470, 476, 660, 494)),
    ocr("Guest Check", (505, 530, 631, 548)),
]


def test_a_block_under_another_field_skips_label_lines_and_stops_at_the_next_one():
    specs = [
        spec("company", "Company", {"by": "pattern", "pattern": r"(?i).*SDN BHD"}),
        spec(
            "address",
            "Address",
            {
                "by": "after",
                "after": "company",
                "start": r"(?i)^(LOT|NO|\d)",
                "until": ["TEL", "GST"],
                "value": {"lines": 4},
            },
        ),
    ]
    found = locate(specs, RECEIPT_TOP)
    assert text(found["company"]) == "Timeless Kitchenette Sdn Bhd"
    assert text(found["address"]) == "Lot 50, Floor T2, Sky Avenue Pahang, 69000 Pahang Malaysia"


def test_multi_line_values_stop_at_a_wider_gap():
    lines = [
        ocr("地址", (100, 100, 160, 126)),
        ocr("湖北省武汉市", (200, 100, 400, 126)),
        ocr("硚口区京汉大道688号", (200, 128, 480, 154)),
        ocr("备注", (200, 200, 260, 226)),  # a paragraph away
    ]
    loc = {"value": {"side": "right", "lines": 3}}
    found = locate([spec("address", "地址", loc)], lines)["address"]
    assert text(found) == "湖北省武汉市 硚口区京汉大道688号"
    assert found.source_lines == (1, 2)


def test_a_region_relative_to_the_form_frame_survives_a_bigger_page_and_margins():
    def page(dx: int, dy: int, scale: float) -> list[OcrLine]:
        def at(x0, y0, x1, y1):
            return tuple(
                int(v) for v in (dx + x0 * scale, dy + y0 * scale, dx + x1 * scale, dy + y1 * scale)
            )

        return [
            ocr("发票代码:042001700112", at(600, 30, 780, 50)),
            ocr("称:武汉市车城物流有限公司", at(100, 120, 400, 140)),
            ocr("合计", at(100, 400, 200, 420)),
        ]

    region = {"by": "region", "region": {"frame": "table", "box": [0.5, -0.2, 1.0, 0.0]}}
    for dx, dy, scale, size in ((0, 0, 1.0, (800, 600)), (150, 400, 1.6, (1800, 2000))):
        lines = page(dx, dy, scale)
        table = {
            "table": (
                int(dx + 60 * scale),
                int(dy + 100 * scale),
                int(dx + 790 * scale),
                int(dy + 450 * scale),
            )
        }
        found = locate([spec("code", "发票代码", region)], lines, pages=[size], frames=[table])
        assert text(found["code"]) == "042001700112", (dx, dy, scale)


def test_a_region_relative_to_the_page_moves_with_margins_but_the_content_box_does_not():
    lines = [
        ocr("TRI SHAAS SDN BHD", (300, 2230, 700, 2270)),
        ocr("RECEIPT", (450, 2500, 550, 2530)),
    ]
    top = {"by": "region", "region": {"frame": "content", "box": [0, 0, 1, 0.3]}}
    found = locate([spec("company", "Company", top)], lines, pages=[(1000, 4000)])
    assert text(found["company"]) == "TRI SHAAS SDN BHD"


def test_a_region_clips_a_line_that_reaches_into_it_by_character_positions():
    lines = [ocr("纳税人识别号:91420100MA7HTDC99N", (100, 100, 600, 130))]
    # The value part only: the line is 25 characters over 500 px; the box starts at x=240.
    region = {"by": "region", "region": {"box": [0.24, 0.0, 1.0, 0.2]}}
    found = locate([spec("tax_id", "纳税人识别号", region)], lines, pages=[(1000, 1000)])
    assert text(found["tax_id"]) == "91420100MA7HTDC99N"


def test_the_page_takes_the_layout_variant_whose_anchors_it_shows():
    layout = {
        "variants": [
            {"name": "old", "anchors": ["发票代码", "机器编号"]},
            {"name": "digital", "anchors": ["统一社会信用代码"]},
        ]
    }
    parsed = parse_layout(layout)
    assert variant_of(STACKED, range(len(STACKED)), parsed) is None
    digital = [ocr("统一社会信用代码/纳税人识别号:91420100MA7HTDC99N", (88, 348, 783, 376))]
    assert variant_of(digital, range(1), parsed) == "digital"
    location = {"occurrence": 1, "variants": {"digital": {"occurrence": -1}}}
    lines = SIDE_BY_SIDE + [ocr("统一社会信用代码", (100, 900, 300, 926))]
    found = locate([spec("name", "名称", location)], lines, layout=layout)
    assert text(found["name"]) == "北京假日旅行社有限公司"  # the digital variant's location


def test_reading_order_goes_row_by_row_left_to_right():
    order = reading_order(SIDE_BY_SIDE, range(len(SIDE_BY_SIDE)))
    assert [SIDE_BY_SIDE[i].text[:1] for i in order][:4] == ["购", "名", "销", "名"]


def test_the_content_box_leaves_out_specks_read_with_low_confidence():
    lines = [ocr("回", (5, 5, 30, 30), conf=0.2), ocr("合计金额", (100, 200, 300, 230))]
    assert content_box(lines, 0, (1000, 1000)) == (100, 200, 300, 230)
    assert content_box([], 0, (1000, 800)) == (0, 0, 1000, 800)
    assert frame_box((100, 200, 300, 400), (0.5, -0.5, 1.0, 0.0)) == (200, 100, 300, 200)


def test_the_table_frame_is_found_from_its_ruled_border():
    import numpy as np

    page = np.full((1100, 1600), 255, np.uint8)
    page[240:244, 40:1560] = 0  # top rule
    page[1000:1004, 40:1560] = 0  # bottom rule
    page[240:1004, 40:44] = 0  # left rule
    page[240:1004, 1556:1560] = 0  # right rule
    page[100:130, 600:1000] = 0  # a title above the table, not a rule
    frame = table_frame(page)
    assert frame is not None
    assert all(abs(a - b) <= 2 for a, b in zip(frame, (40, 240, 1560, 1004))), frame
    assert table_frame(np.full((1100, 1600), 255, np.uint8)) is None


def test_a_region_that_names_no_frame_is_relative_to_the_layouts_frame():
    lines = [
        ocr("TRI SHAAS SDN BHD", (300, 2230, 700, 2270)),
        ocr("RECEIPT", (450, 2500, 550, 2530)),
    ]
    top = {"by": "region", "region": {"box": [0, 0, 1, 0.3]}}
    on_page = locate([spec("company", "Company", top)], lines, pages=[(1000, 4000)])
    assert on_page["company"] is None  # the top 30 % of the paper is blank
    found = locate(
        [spec("company", "Company", top)], lines, pages=[(1000, 4000)], layout={"frame": "content"}
    )
    assert text(found["company"]) == "TRI SHAAS SDN BHD"
