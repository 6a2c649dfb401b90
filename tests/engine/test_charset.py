"""The folding rule, the GB2312 level-1 table and the class ids the models are trained on."""

from __future__ import annotations

import unicodedata

import pytest

from recognition.engine.charset import (
    BILL_SYMBOLS,
    BLANK,
    NAME_CHARS,
    Charset,
    fold,
    gb2312_level1,
    general_charset,
    numeric_charset,
)


@pytest.fixture(scope="module")
def general() -> Charset:
    return general_charset()


# -- GB2312 level 1 --------------------------------------------------------------------------------


def test_gb2312_level1_has_exactly_3755_distinct_hanzi():
    chars = gb2312_level1()
    assert len(chars) == 3755
    assert len(set(chars)) == 3755


def test_gb2312_level1_holds_only_cjk_unified_ideographs():
    assert all(unicodedata.name(c).startswith("CJK UNIFIED IDEOGRAPH") for c in gb2312_level1())


def test_gb2312_level1_runs_from_b0a1_to_d7f9_in_byte_order():
    chars = gb2312_level1()
    # 0xB0A1 is 啊 and 0xD7F9 is 座: the first and last level-1 code points of the standard.
    assert chars[0] == "啊"
    assert chars[-1] == "座"
    encoded = [c.encode("gb2312") for c in chars]
    assert encoded == sorted(encoded)
    assert all(b"\xb0\xa1" <= e <= b"\xd7\xf9" for e in encoded)


@pytest.mark.parametrize("char", ["张", "伟", "银", "行", "账", "号", "金", "额", "年", "月", "日"])
def test_common_bill_characters_are_level1(char):
    assert char in gb2312_level1()


@pytest.mark.parametrize("char", ["鑫", "琪", "昊", "晟"])
def test_level2_name_characters_are_not_level1_but_are_in_the_general_charset(char, general):
    assert char not in gb2312_level1()
    assert char in general.chars


# -- folding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("：", ":"),
        ("，", ","),
        ("（", "("),
        ("）", ")"),
        ("；", ";"),
        ("！", "!"),
        ("～", "~"),  # U+FF5E, the last code point of the fullwidth ASCII block
        ("￥", "¥"),
        ("￥1,000", "¥1,000"),
        ("ＡＢＣｘｙｚ", "ABCxyz"),
        ("０１２３４５６７８９", "0123456789"),
        ("客户姓名：张伟", "客户姓名:张伟"),
        ("金额（小写）", "金额(小写)"),
        ("张\u3000伟", "张 伟"),
        ("a  \t b", "a b"),
        ("  padded\u3000", "padded"),
    ],
)
def test_fold_maps_lookalikes_to_one_form(raw, folded):
    assert fold(raw) == folded


@pytest.mark.parametrize("kept", ["。", "、", "《", "》", "“", "”", "‘", "’", "·", "¥", "\uff5f"])
def test_fold_keeps_chinese_punctuation_distinct(kept):
    assert fold(kept) == kept


@pytest.mark.parametrize(
    "text", ["客户姓名：张伟", "ＡＢ\u3000 ｃ", "￥１，２３４．００", "《合同》。"]
)
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


# -- Charset ---------------------------------------------------------------------------------------


def test_blank_is_class_zero_and_characters_start_at_one():
    charset = Charset("abc")
    assert BLANK == 0
    assert charset.num_classes == len(charset.chars) + 1 == 4
    assert charset.encode("abc") == [1, 2, 3]
    assert BLANK not in charset.encode("cab")


def test_decode_drops_blanks():
    charset = Charset("abc")
    assert charset.decode([BLANK, 1, BLANK, 3, 2, BLANK]) == "acb"


@pytest.mark.parametrize(
    "text", ["客户姓名:张伟", "¥1,234.00", "《借款合同》第3条。", "TOTAL 12.50", "鑫琪 Ltd."]
)
def test_encode_then_decode_round_trips_a_folded_text(text, general):
    ids = general.encode(text)
    assert all(1 <= i < general.num_classes for i in ids)
    assert general.decode(ids) == text


def test_encode_folds_before_looking_characters_up(general):
    assert general.encode("金额（小写）：￥１２") == general.encode("金额(小写):¥12")


def test_encode_raises_key_error_naming_every_unknown_character():
    charset = Charset("abc")
    with pytest.raises(KeyError, match="not in charset") as excinfo:
        charset.encode("abxqxc")
    named = str(excinfo.value).split(":", 1)[1]
    assert "x" in named and "q" in named
    assert not any(c in named for c in "abc")


def test_covers_is_false_for_a_text_with_any_unknown_character():
    charset = Charset("abc")
    assert charset.covers("cab")
    assert not charset.covers("cabd")


def test_a_charset_with_duplicate_characters_is_rejected():
    with pytest.raises(ValueError, match="duplicate"):
        Charset("abca")


def test_general_charset_has_ascii_symbols_level1_and_name_characters(general):
    chars = set(general.chars)
    assert set(gb2312_level1()) <= chars
    assert set(BILL_SYMBOLS) <= chars
    assert set(NAME_CHARS) <= chars
    assert {"A", "z", "0", "9", ":", "(", " "} <= chars
    assert not {"\t", "\n", "\r"} & chars


def test_general_charset_deduplicates_extra_characters():
    charset = general_charset(extra="鑫鑫张")
    assert charset.chars.count("鑫") == 1
    assert charset.chars.count("张") == 1


def test_general_charset_holds_no_character_that_folding_would_change(general):
    # A folded-away class (fullwidth ：, ￥) could never appear in a training label.
    assert [c for c in general.chars if c != " " and fold(c) != c] == []


@pytest.mark.parametrize("char", [*"0123456789", "X", "¥", ",", ".", "-", "/", ":", *"年月日元"])
def test_numeric_charset_has_the_characters_of_ids_amounts_and_dates(char):
    assert char in numeric_charset().chars


def test_numeric_charset_has_no_letters_but_x_and_no_hanzi_but_date_and_currency_units():
    chars = numeric_charset().chars
    assert [c for c in chars if c.isalpha() and c.isascii()] == ["X"]
    assert {c for c in chars if ord(c) >= 0x3400} == set("年月日元")


def test_every_numeric_character_is_also_in_the_general_charset(general):
    assert set(numeric_charset().chars) <= set(general.chars)
