"""Locating field values among recognised lines: by label (inline, right, below) and by region."""

from __future__ import annotations

import numpy as np
import pytest

from processing.locate import Located, OcrLine, SpecView, locate_fields

PAGE = [(1000, 1400)]


def ocr(
    text: str,
    box: tuple[int, int, int, int],
    *,
    page: int = 0,
    confidences: list[float] | None = None,
) -> OcrLine:
    """A recognised line whose characters share its width equally, as CTC spans would."""
    n = len(text)
    confs = tuple(confidences) if confidences is not None else (0.9,) * n
    spans = tuple((i / n, (i + 1) / n) for i in range(n))
    return OcrLine(page, box, text, min(confs, default=0.9), confs, spans)


def locate(specs: list[SpecView], lines: list[OcrLine], pages=PAGE) -> dict[str, Located | None]:
    return locate_fields(specs, lines, pages)


# -- inline ----------------------------------------------------------------------------------------


def test_an_inline_value_is_cut_out_of_its_label_line():
    # 7 characters over 280 px: 客户姓名 ends at x=260, ： spans 260..300, 张伟 300..380.
    line = ocr(
        "客户姓名：张伟", (100, 50, 380, 80), confidences=[0.99, 0.99, 0.99, 0.99, 0.99, 0.8, 0.7]
    )
    found = locate([SpecView("name", "客户姓名")], [line])["name"]
    assert found.text == "张伟"
    assert found.method == "label_inline"
    assert found.source_lines == (0,)
    assert 260 <= found.box[0] <= 300
    assert found.box[1:] == (50, 380, 80)
    # Confidence is the value's own, not the label's.
    assert found.char_confidences == (0.8, 0.7)
    assert found.confidence == 0.7


@pytest.mark.parametrize(
    "text",
    [
        "客户姓名：张伟",
        "客户姓名:张伟",
        "客户姓名 张伟",
        "客户姓名：  张伟",
        "客户姓名张伟",
        "客户 姓名：张伟",
        "*客户姓名：张伟",
    ],
)
def test_an_inline_value_is_found_whatever_separates_it_from_the_label(text):
    found = locate([SpecView("name", "客户姓名")], [ocr(text, (100, 50, 400, 80))])["name"]
    assert found.text == "张伟"


def test_an_alias_anchors_a_value_like_the_label():
    specs = [SpecView("name", "借款人姓名", aliases=("客户姓名", "姓名"))]
    found = locate(specs, [ocr("姓名：张伟", (100, 50, 300, 80))])["name"]
    assert found.text == "张伟"


def test_a_bracketed_label_leaves_no_bracket_in_the_value():
    found = locate(
        [SpecView("amount", "金额（小写）")], [ocr("金额（小写）：¥1,234.00", (100, 50, 600, 80))]
    )["amount"]
    assert found.text == "¥1,234.00"


def test_a_value_starting_with_a_bracket_keeps_it():
    found = locate(
        [SpecView("phone", "联系电话")], [ocr("联系电话 (010)6222 8888", (100, 50, 600, 80))]
    )["phone"]
    assert found.text == "(010)6222 8888"


# -- right and below -------------------------------------------------------------------------------


def test_a_value_cell_right_of_the_label_cell_on_the_same_row():
    lines = [
        ocr("户名", (100, 100, 180, 130)),
        ocr("北京分行", (400, 160, 520, 190)),  # next row
        ocr("某某公司", (700, 100, 820, 130)),  # same row, farther away
        ocr("张伟", (400, 102, 480, 128)),
    ]
    found = locate([SpecView("name", "户名")], lines)["name"]
    assert found.text == "张伟"
    assert found.method == "label_right"
    assert found.source_lines == (3,)
    assert found.box == (400, 102, 480, 128)


def test_a_bracketed_label_cell_still_looks_right_for_its_value():
    lines = [ocr("金额（小写）", (100, 100, 250, 130)), ocr("¥1,234.00", (400, 100, 600, 130))]
    found = locate([SpecView("amount", "金额（小写）")], lines)["amount"]
    assert (found.text, found.method) == ("¥1,234.00", "label_right")


def test_a_value_below_its_label():
    lines = [
        ocr("客户姓名", (100, 100, 220, 130)),
        ocr("李娜", (100, 200, 180, 230)),  # farther below
        ocr("无关", (400, 140, 480, 170)),  # below but not under the label
        ocr("张伟", (110, 140, 190, 170)),
    ]
    found = locate([SpecView("name", "客户姓名")], lines)["name"]
    assert (found.text, found.method, found.source_lines) == ("张伟", "label_below", (3,))


def test_a_value_to_the_right_is_preferred_to_one_below():
    lines = [
        ocr("户名", (100, 100, 180, 130)),
        ocr("李娜", (100, 140, 180, 170)),
        ocr("张伟", (300, 100, 380, 130)),
    ]
    assert locate([SpecView("name", "户名")], lines)["name"].text == "张伟"


def test_a_header_row_of_labels_takes_its_values_from_the_row_below():
    lines = [
        ocr("户名", (100, 100, 180, 130)),
        ocr("账号", (400, 100, 480, 130)),
        ocr("张伟", (100, 140, 180, 170)),
        ocr("6222021001234567", (400, 140, 640, 170)),
    ]
    found = locate([SpecView("name", "户名"), SpecView("account", "账号")], lines)
    assert found["name"].text == "张伟"
    assert found["account"].text == "6222021001234567"


def test_a_value_on_another_page_is_not_taken():
    lines = [ocr("户名", (100, 100, 180, 130), page=0), ocr("张伟", (300, 100, 380, 130), page=1)]
    assert locate([SpecView("name", "户名")], lines, pages=PAGE * 2)["name"] is None


# -- label matching --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "text", "value"),
    [
        ("身份证号码", "身份证号吗：110101199003071234", "110101199003071234"),
        ("客户姓名", "客户娃名：张伟", "张伟"),
        ("客户姓名", "客娃娃名：张伟", None),  # two slips
        ("手机号", "手机亏：13800138000", None),  # short labels must match exactly
        ("手机号", "手机号：13800138000", "13800138000"),
    ],
)
def test_a_label_of_four_or_more_characters_tolerates_one_ocr_slip(label, text, value):
    found = locate([SpecView("field", label)], [ocr(text, (100, 50, 600, 80))])["field"]
    assert (found.text if found else None) == value


def test_a_missing_label_gives_none():
    lines = [ocr("客户姓名：张伟", (100, 50, 380, 80))]
    assert locate([SpecView("phone", "联系电话")], lines) == {"phone": None}


def test_a_label_with_nothing_beside_or_below_it_gives_none():
    lines = [ocr("联系电话", (100, 50, 220, 80)), ocr("张伟", (100, 600, 180, 630))]
    assert locate([SpecView("phone", "联系电话")], lines)["phone"] is None


AMOUNT_SPECS = [SpecView("amount", "金额（小写）"), SpecView("amount_words", "金额（大写）")]


@pytest.mark.parametrize(
    "specs", [AMOUNT_SPECS, AMOUNT_SPECS[::-1]], ids=["figures-first", "words-first"]
)
def test_labels_one_character_apart_do_not_steal_each_others_lines(specs):
    lines = [
        ocr("金额（小写）：¥1,234.00", (100, 100, 500, 130)),
        ocr("金额（大写）：壹仟贰佰叁拾肆元整", (100, 150, 600, 180)),
    ]
    found = locate(specs, lines)
    assert found["amount"].text == "¥1,234.00"
    assert found["amount_words"].text == "壹仟贰佰叁拾肆元整"


@pytest.mark.parametrize("payer_first", [True, False])
def test_payer_and_payee_accounts_each_keep_their_own_line(payer_first):
    specs = [SpecView("payer", "付款人账号"), SpecView("payee", "收款人账号")]
    lines = [
        ocr("付款人账号：6222020200001234", (100, 100, 500, 130)),
        ocr("收款人账号：6222020200005678", (100, 150, 500, 180)),
    ]
    found = locate(specs if payer_first else specs[::-1], lines)
    assert found["payer"].text == "6222020200001234"
    assert found["payee"].text == "6222020200005678"


def test_a_slipped_label_still_goes_to_the_spec_it_is_closest_to():
    lines = [
        ocr("金额（小写）：¥1,234.00", (100, 100, 500, 130)),
        ocr("金额（大与）：壹仟贰佰叁拾肆元整", (100, 150, 600, 180)),
    ]
    found = locate(AMOUNT_SPECS, lines)
    assert found["amount"].text == "¥1,234.00"
    assert found["amount_words"].text == "壹仟贰佰叁拾肆元整"


@pytest.mark.parametrize("short_first", [True, False])
def test_a_line_anchors_only_the_longest_matching_label(short_first):
    specs = [SpecView("amount", "金额"), SpecView("amount_words", "金额（大写）")]
    lines = [
        ocr("金额（大写）：壹佰元整", (100, 100, 400, 130)),
        ocr("金额：¥100.00", (100, 150, 300, 180)),
    ]
    found = locate(specs if short_first else specs[::-1], lines)
    assert found["amount_words"].text == "壹佰元整"
    assert found["amount"].text == "¥100.00"
    assert found["amount"].source_lines == (1,)


def test_a_shorter_label_does_not_take_a_line_that_belongs_to_a_longer_one():
    specs = [SpecView("amount", "金额"), SpecView("amount_words", "金额（大写）")]
    found = locate(specs, [ocr("金额（大写）：壹佰元整", (100, 100, 400, 130))])
    assert found["amount_words"].text == "壹佰元整"
    assert found["amount"] is None


def test_a_label_line_is_never_taken_as_another_fields_value():
    lines = [ocr("户名", (100, 100, 180, 130)), ocr("账号", (300, 100, 380, 130))]
    found = locate([SpecView("name", "户名"), SpecView("account", "账号")], lines)
    assert found == {"name": None, "account": None}


# -- regions ---------------------------------------------------------------------------------------

ADDRESS = SpecView("address", "地址", region={"page": 0, "box": (0.0, 0.5, 0.6, 1.0)})
SQUARE = [(1000, 1000)]


def test_a_region_field_joins_the_lines_inside_it_and_strips_a_printed_label():
    lines = [
        ocr("地址：北京市海淀区", (100, 600, 460, 630), confidences=[0.99] * 3 + [0.9] * 6),
        ocr("中关村大街1号", (240, 640, 520, 670), confidences=[0.8] * 7),
        ocr("电话：010-62228888", (100, 300, 500, 330)),  # above the region
        ocr("北京市朝阳区", (700, 600, 940, 630)),  # right of the region
    ]
    found = locate([ADDRESS], lines, pages=SQUARE)["address"]
    assert found.text == "北京市海淀区 中关村大街1号"
    assert found.method == "region"
    assert found.source_lines == (0, 1)
    assert found.confidence == 0.8
    # One confidence per character, the joining space included (as sure as its neighbours).
    assert found.char_confidences == (0.9,) * 6 + (0.8,) * 8
    # The box spans both value parts, starting after the printed label (地址 ends at x=180).
    assert 180 <= found.box[0] <= 220
    assert found.box[1:] == (600, 520, 670)


def test_a_region_ignores_lines_of_other_pages():
    lines = [ocr("北京市海淀区", (100, 600, 340, 630), page=1)]
    assert locate([ADDRESS], lines, pages=SQUARE * 2)["address"] is None


def test_an_empty_region_gives_none():
    assert locate([ADDRESS], [ocr("电话：010", (100, 100, 300, 130))], pages=SQUARE) == {
        "address": None
    }


def test_a_region_on_a_page_the_document_does_not_have_gives_none():
    spec = SpecView("address", "地址", region={"page": 3, "box": (0.0, 0.0, 1.0, 1.0)})
    assert locate([spec], [ocr("北京市", (10, 10, 100, 40))], pages=SQUARE)["address"] is None


def test_region_and_label_fields_are_located_side_by_side():
    lines = [
        ocr("客户姓名：张伟", (100, 100, 380, 130)),
        ocr("北京市海淀区", (100, 600, 340, 630)),
    ]
    found = locate([SpecView("name", "客户姓名"), ADDRESS], lines, pages=SQUARE)
    assert found["name"].text == "张伟"
    assert found["address"].text == "北京市海淀区"


def test_a_garbled_label_is_still_found_by_its_ctc_scores():
    from recognition.engine.charset import Charset

    charset = Charset("付款人账号收0123456789:")
    label, value = "付款人账号", "62012345"
    text = label + ":" + value
    frames = []
    for ch in text:  # two frames per character, a blank between
        row = np.full(charset.num_classes, 0.02 / (charset.num_classes - 1))
        row[charset.encode(ch)[0]] = 0.98
        blank = np.full(charset.num_classes, 0.02 / (charset.num_classes - 1))
        blank[0] = 0.98
        frames += [row, blank]
    log_probs = np.log(np.array(frames))
    n = len(text)
    spans = tuple((2 * i / (2 * n), (2 * i + 1) / (2 * n)) for i in range(n))
    garbled = "忖款入账号:" + value  # what best-path reading printed
    line = OcrLine(0, (0, 0, 600, 30), garbled, 0.5, (0.9,) * n, spans, log_probs)
    spec = SpecView("payer_account", label)
    assert locate_fields([spec], [line], [(1000, 800)])["payer_account"] is None
    found = locate_fields([spec], [line], [(1000, 800)], encode=charset.encode)["payer_account"]
    assert found is not None and found.text == value
    assert found.box[0] > 0  # the label's part of the line is cut away

    # What the pipeline keeps: the label characters' columns only, and an encoder onto them.
    from processing.labels import spotting_scores

    classes, encode = spotting_scores([label, "收款人账号"], charset)
    few = OcrLine(0, line.box, garbled, 0.5, line.char_confidences, spans, log_probs[:, classes])
    again = locate_fields([spec], [few], [(1000, 800)], encode=encode)["payer_account"]
    assert again == found
