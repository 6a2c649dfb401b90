"""Value cleaning declared per field: what is cut from a reading before the rules see it."""

from __future__ import annotations

import pytest

from billtext.checksums import uscc_valid
from documents.rules import RuleConfigError
from documents.rules.cleaning import FOLDED_CHAR_CONFIDENCE, clean_value, validate_cleaning


def clean(text: str, kind: str = "text", steps=None, **kw):
    return clean_value(text, [0.9] * len(text), kind, steps, **kw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("⊗叁佰圆整", "叁佰圆整"),
        ("怂叁佰圆整", "叁佰圆整"),  # what a reader makes of ⊗
        ("人民币贰拾柒圆叁角叁分", "贰拾柒圆叁角叁分"),
        ("贰拾柒圆叁角叁分)", "贰拾柒圆叁角叁分"),
    ],
)
def test_amounts_in_words_lose_whatever_precedes_the_first_numeral(raw, value):
    assert clean(raw, "amount_in_words").text == value


def test_a_stripped_symbol_takes_its_low_confidence_with_it():
    cleaned = clean_value("¥26.53", [0.4, 0.99, 0.99, 0.99, 0.99, 0.99], "amount", ["amount"])
    assert cleaned.text == "26.53"
    assert cleaned.char_confidences == (0.99,) * 5
    assert cleaned.steps == ("amount",)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("¥1,234.50", "1,234.50"),
        ("￥ 307.64", "307.64"),
        ("RM 21.80", "21.80"),
        ("15.00元", "15.00"),
    ],
)
def test_amount_cleaning_drops_currency_marks_and_spaces(raw, value):
    assert clean(raw, "amount", ["amount"]).text == value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("※ 北京市海淀区", "北京市海淀区"),
        ("*运输服务*", "运输服务"),
        ("⊗ ACME SDN BHD |", "ACME SDN BHD"),
    ],
)
def test_stray_leading_and_trailing_symbols_go(raw, value):
    assert clean(raw, "text", ["strip_symbols"]).text == value


def test_credit_code_letters_are_folded_only_where_the_check_character_then_holds():
    good = "91420100MA7HTDC99N"
    assert uscc_valid(good)
    misread = good[:4] + "O" + good[5:]  # 0 read as O
    cleaned = clean(misread, "credit_code", ["credit_code"])
    assert cleaned.text == good
    assert cleaned.char_confidences[4] == FOLDED_CHAR_CONFIDENCE
    # A fold that does not make the code valid is not made: the rule shows what was read.
    wrong = "9142O100MA7HTDC99X"
    assert clean(wrong, "credit_code", ["credit_code"]).text == wrong
    assert clean("91420100ma7htdc99n", "credit_code", ["credit_code"]).text == good


def test_strip_label_cuts_the_fields_own_label_or_the_given_words():
    cleaned = clean("纳税人识别号:91420100MA7HTDC99N", "credit_code", ["strip_label"],
                    labels=["纳税人识别号"])  # fmt: skip
    assert cleaned.text == "91420100MA7HTDC99N"
    words = [{"op": "strip_label", "words": ["HQ ADD"]}]
    assert clean("HQ ADD: LOT 11995, BATU 2", "address", words).text == "LOT 11995, BATU 2"


def test_extract_and_remove_take_regular_expressions():
    extract = [{"op": "extract", "pattern": r"\d{2}/\d{2}/\d{4}"}]
    assert clean(": 16/02/2018 12:04:58", "date", extract).text == "16/02/2018"
    remove = [{"op": "remove", "pattern": r"\(?\b\d{5,8}-[A-Z]\b\)?"}]
    assert clean("TRI SHAAS SDN BHD (728515-M)", "company", remove).text == "TRI SHAAS SDN BHD"


def test_digits_only_upper_and_no_spaces():
    assert clean("0136 6232-8553", "number", ["digits_only"]).text == "013662328553"
    assert clean("ab c", "text", ["upper", "no_spaces"]).text == "ABC"


def test_a_step_that_would_leave_nothing_keeps_the_reading():
    assert clean("¥", "amount", ["amount"]).text == "¥"


def test_widths_are_folded_and_runs_of_spaces_become_one_with_confidences_aligned():
    cleaned = clean_value("（１）  A", [0.5, 0.6, 0.7, 0.8, 0.8, 0.9], "text")
    assert cleaned.text == "(1) A"
    assert cleaned.char_confidences == (0.5, 0.6, 0.7, 0.8, 0.9)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("amount", "must be a list"),
        (["nope"], r"cleaning\[0\]: unknown step 'nope'"),
        ([{"op": "extract"}], "must be a non-empty string"),
        ([{"op": "remove", "pattern": "("}], "invalid pattern"),
        ([{"op": "amount", "x": 1}], "has no option 'x'"),
        ([{"op": "strip_label", "words": "名称"}], "words must be a list"),
    ],
)
def test_bad_cleaning_configs_are_refused_with_a_message(config, message):
    with pytest.raises(RuleConfigError, match=message):
        validate_cleaning(config)


def test_good_cleaning_configs_validate():
    validate_cleaning(None)
    validate_cleaning(["strip_symbols", {"op": "remove", "pattern": "x"}, "credit_code"])
