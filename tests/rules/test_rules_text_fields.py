"""Company names, person names and addresses: checks that a value from the wrong place fails."""

from __future__ import annotations

import pytest

from documents.rules import (
    AddressRule,
    CompanyNameRule,
    FieldContext,
    PersonNameRule,
    build_rules,
    run_rules,
)


def failures(value: str, kind: str, config=None) -> list[str]:
    outcome = run_rules(value, FieldContext(kind=kind), build_rules(kind, config))
    return [f.code for f in outcome.failures]


@pytest.mark.parametrize(
    "name",
    [
        "武汉物图科技有限公司",
        "北京假日阳光环球旅行社有限公司漯河分公司",
        "道达尔能源销售(湖北)有限公司",
        "上海市长宁区吴奕聪餐饮店",
        "TRI SHAAS SDN BHD",
        "ENW Hardware Centre (M) Sdn. Bhd.",
        "HAI-O RAYA BHD",
        "FILL IN ENTERPRISE",
    ],
)
def test_company_names_ending_in_a_legal_form_pass(name):
    assert failures(name, "company") == []


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("称:武汉市车城物流有限公司", ["label_inside"]),
        ("纳税人识别号:91420100MA7HTDC99N", ["label_inside", "company_suffix"]),
        ("名称武汉物图科技有限公司", ["label_inside"]),
        ("MYDIN MART SRI MUDA", ["company_suffix"]),
        ("TAX INVOICE", ["label_inside", "company_suffix"]),
        ("壹佰肆拾伍元壹角捌分", ["company_suffix"]),
    ],
)
def test_a_company_name_from_the_wrong_place_fails(value, codes):
    assert failures(value, "company") == codes


def test_company_suffixes_and_label_words_can_be_configured():
    config = {"rules": [{"rule": "company_name", "suffixes": ["RESTAURANT"], "label_words": []}]}
    assert failures("MEI LET RESTAURANT", "company", config) == []
    assert failures("ACME SDN BHD", "company", config) == ["company_suffix"]


@pytest.mark.parametrize("name", ["张伟", "欧阳娜娜", "买买提·艾力", "Joan Wong", "MS JOAN WONG"])
def test_person_names_pass(name):
    assert failures(name, "name") == []


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("张伟1", ["person_name_format"]),
        ("姓名:张伟", ["label_inside", "person_name_format"]),
        ("武汉市车城物流有限公司", ["person_name_format"]),
        ("13800138000", ["person_name_format"]),
    ],
)
def test_a_person_name_with_digits_labels_or_too_many_characters_fails(value, codes):
    assert failures(value, "name") == codes


@pytest.mark.parametrize(
    "address",
    [
        "湖北省武汉市硚口区京汉大道688号",
        "NO: G3, BLK G, JIN PJU 1A/3, ARA DAMANSARA, 47301 PETALING JAYA",
        "LOT 2407, JALAN DUA 52100 KEPONG BARU, KL",
    ],
)
def test_addresses_pass(address):
    assert failures(address, "address") == []


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("武汉", ["address_length"]),
        ("KEPONG OUTLET", ["address_format"]),
        ("地址、电话:湖北咸宁市经济开发区", ["label_inside"]),
        ("Co. Reg. No.: 795225-A", ["label_inside"]),
        ("TEL: 03-7859 9863", ["label_inside"]),
    ],
)
def test_an_address_from_the_wrong_place_fails(value, codes):
    assert failures(value, "address") == codes


def test_rules_for_text_kinds_are_the_defaults_of_their_kinds():
    assert isinstance(build_rules("company")[1], CompanyNameRule)
    assert isinstance(build_rules("name")[1], PersonNameRule)
    assert isinstance(build_rules("address")[1], AddressRule)
