"""Location and layout configuration as admins write it: parsed, or refused with where and why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from documents.rules import RuleConfigError
from documents.rules.location import (
    Layout,
    Location,
    check_references,
    parse_layout,
    parse_location,
)


def test_an_empty_location_is_by_label_with_the_value_inline_right_or_below():
    assert parse_location(None) == parse_location({}) == Location()


def test_a_full_location_parses_into_its_parts():
    loc = parse_location(
        {
            "section": "seller",
            "occurrence": -1,
            "shared": True,
            "value": {"side": "right", "box": [0, -0.5, 12, 0.5], "lines": 2, "column": "金额"},
            "pattern": r"\d+",
            "fallback": [{"occurrence": 2}],
            "variants": {
                "digital": {"by": "region", "region": {"frame": "table", "box": [0, -0.2, 1, 0]}}
            },
        }
    )
    assert (loc.section, loc.occurrence, loc.shared) == ("seller", -1, True)
    assert loc.value.side == "right" and loc.value.column == ("金额",) and loc.value.lines == 2
    assert loc.fallback == (Location(occurrence=2),)
    digital = loc.for_variant("digital")
    assert digital.by == "region" and digital.region is not None
    assert digital.region.frame == "table" and digital.region.box == (0, -0.2, 1, 0)
    assert loc.for_variant("other") is loc and loc.for_variant(None) is loc


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must be an object"),
        ({"by": "ocr"}, "location.by: must be one of label, pattern, region, after"),
        ({"by": "pattern"}, '"by": "pattern" needs "pattern"'),
        ({"by": "after"}, '"by": "after" needs "after"'),
        ({"pattern": "("}, "invalid pattern"),
        ({"start": ""}, "location.start: must be a non-empty string"),
        ({"occurrence": 0}, "counts from 1"),
        ({"occurrence": "2"}, "must be a whole number"),
        ({"shared": "yes"}, "must be true or false"),
        ({"value": {"side": "left"}}, "location.value.side: must be one of"),
        ({"value": {"box": [0, 0, 1]}}, r"must be \[x0, y0, x1, y1\]"),
        ({"value": {"box": [2, 0, 1, 1]}}, "needs x0 < x1"),
        ({"value": {"lines": 0}}, "must be at least 1"),
        ({"region": {"frame": "page", "box": [0, 0, 1.5, 1]}}, r"within 0\.\.1"),
        ({"region": {"box": [0, 0, 2.5, 1]}}, r"within -1\.\.2"),
        ({"region": {"frame": "table", "box": [0, -0.3, 1, 0]}, "by": "label"}, None),
        ({"region": {"frame": "sheet", "box": [0, 0, 1, 1]}}, "region.frame: must be one of"),
        ({"fallback": [{"fallback": []}]}, r"fallback\[0\]: unknown key 'fallback'"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_bad_locations_are_refused_with_where_and_why(raw, message):
    if message is None:
        parse_location(raw)
        return
    with pytest.raises(RuleConfigError, match=message):
        parse_location(raw)


def test_a_layout_parses_and_bad_ones_are_refused():
    layout = parse_layout(
        {
            "frame": "table",
            "sections": {"buyer": ["购买方", "购"], "seller": "销售方"},
            "variants": [{"name": "digital", "anchors": ["统一社会信用代码"]}],
        }
    )
    assert layout.frame == "table" and layout.sections["seller"] == ("销售方",)
    assert [v.name for v in layout.variants] == ["digital"]
    assert parse_layout(None) == Layout()
    with pytest.raises(RuleConfigError, match="layout.sections.buyer"):
        parse_layout({"sections": {"buyer": [1]}})
    with pytest.raises(RuleConfigError, match=r"layout.variants\[0\].name"):
        parse_layout({"variants": [{"anchors": ["x"]}]})


def test_references_to_missing_sections_variants_and_fields_are_reported():
    layout = parse_layout(
        {"sections": {"buyer": ["购"]}, "variants": [{"name": "a", "anchors": ["x"]}]}
    )
    locations = {
        "name": parse_location({"section": "seller", "variants": {"b": {}}}),
        "address": parse_location({"by": "after", "after": "company"}),
        "ok": parse_location({"section": "buyer", "variants": {"a": {}}}),
    }
    assert check_references(locations, layout) == [
        ("name", "unknown section 'seller'"),
        ("name", "unknown layout variant 'b'"),
        ("address", "unknown field 'company' in 'after'"),
    ]


@pytest.mark.django_db
def test_the_admin_form_refuses_a_bad_location_cleaning_or_layout(demo_types):
    spec = demo_types["vat_invoice"].fields.get(key="buyer_name")
    spec.location = {"occurrence": 0}
    with pytest.raises(ValidationError, match="location"):
        spec.full_clean()
    spec.location, spec.cleaning = {}, ["polish"]
    with pytest.raises(ValidationError, match="cleaning"):
        spec.full_clean()
    doc_type = demo_types["vat_invoice"]
    doc_type.layout = {"frame": "paper"}
    with pytest.raises(ValidationError, match="layout"):
        doc_type.full_clean()
