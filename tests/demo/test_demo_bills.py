"""The demo bill renderer: deterministic, consistent values, boxes where the text is."""

from __future__ import annotations

import json
import math
from datetime import date
from functools import cache

import numpy as np
import pytest
from pdf2image import pdfinfo_from_bytes

from demo.render import MAX_ROTATION_DEG, Bill, bills_to_pdf, render_bill, save_bill
from demo.types import DEMO_TYPES, FIELD_KINDS
from documents.rules import (
    KINDS,
    FieldContext,
    build_rules,
    gb11643_valid,
    parse_amount,
    parse_chinese_amount,
    run_rules,
    uscc_valid,
    validate_config,
)

CODES = [t["code"] for t in DEMO_TYPES]
SEEDS = (1, 2, 3)
SPECS = {t["code"]: {f["key"]: f for f in t["fields"]} for t in DEMO_TYPES}


@cache
def bill(code: str, seed: int, degrade: bool = True) -> Bill:
    return render_bill(code, seed, degrade=degrade)


def all_bills(degrade: bool = True) -> list[Bill]:
    return [bill(code, seed, degrade) for code in CODES for seed in SEEDS]


def _inside(box, outer, slack: float = 0) -> bool:
    return (
        box[0] >= outer[0] - slack
        and box[1] >= outer[1] - slack
        and box[2] <= outer[2] + slack
        and box[3] <= outer[3] + slack
    )


def _region_px(code: str, key: str, size: tuple[int, int]) -> tuple[float, ...]:
    rx0, ry0, rx1, ry1 = SPECS[code][key]["region"]["box"]
    return rx0 * size[0], ry0 * size[1], rx1 * size[0], ry1 * size[1]


def _rotation_slack(size: tuple[int, int]) -> float:
    """How far the tilt can move a point: its distance from the centre × 2 sin(θ/2)."""
    return math.hypot(*size) / 2 * 2 * math.sin(math.radians(MAX_ROTATION_DEG) / 2) + 3


@pytest.mark.parametrize("code", CODES)
def test_the_same_seed_renders_the_same_pixels_values_and_boxes(code):
    first, again = render_bill(code, 5), render_bill(code, 5)
    assert np.array_equal(np.asarray(first.image), np.asarray(again.image))
    assert first.metadata() == again.metadata()


@pytest.mark.parametrize("code", CODES)
def test_different_seeds_render_different_bills(code):
    assert bill(code, 1).truth != bill(code, 2).truth


@pytest.mark.parametrize("code", CODES)
def test_the_clean_rendering_has_the_same_values_as_the_degraded_one(code):
    assert bill(code, 1, False).truth == bill(code, 1).truth
    assert bill(code, 1, False).image.size == bill(code, 1).image.size


@pytest.mark.parametrize("degrade", [False, True])
def test_every_field_has_a_truth_and_a_box_inside_the_image(degrade):
    for b in all_bills(degrade):
        w, h = b.image.size
        assert b.image.mode == "RGB"
        assert set(b.truth) == set(SPECS[b.code]) == set(b.boxes), b.code
        for key, box in b.boxes.items():
            assert b.truth[key].strip(), (b.code, key)
            assert 0 <= box[0] < box[2] <= w and 0 <= box[1] < box[3] <= h, (b.code, key, box)


def test_every_value_is_a_recorded_text_line_with_its_box():
    for b in all_bills():
        recorded = set(b.lines)
        for key, text in b.truth.items():
            assert (text, b.boxes[key]) in recorded, (b.code, key)


def test_labels_are_printed_as_the_label_or_one_of_its_aliases():
    for b in all_bills():
        printed = {box: text for text, box in b.lines}
        for key, box in b.label_boxes.items():
            spec = SPECS[b.code][key]
            assert printed[box].rstrip("：") in (spec["label"], *spec["label_aliases"])
        unlabelled = {k for k, s in SPECS[b.code].items() if not s["region"]}
        assert unlabelled <= set(b.label_boxes), b.code


def test_value_text_is_tall_enough_to_read_at_150_dpi():
    for b in all_bills(degrade=False):
        for key, box in b.boxes.items():
            assert box[3] - box[1] >= 22, (b.code, key, b.truth[key], box)


@pytest.mark.parametrize(
    ("code", "words", "figures"),
    [
        ("bank_slip", "amount_in_words", "amount"),
        ("loan_application", "amount_in_words", "amount"),
        ("vat_invoice", "total_in_words", "total"),
    ],
)
def test_the_amount_in_words_equals_the_amount_in_figures(code, words, figures):
    for seed in SEEDS:
        truth = bill(code, seed).truth
        assert parse_chinese_amount(truth[words]) == parse_amount(truth[figures])


def test_the_invoice_total_is_the_amount_plus_the_tax():
    for seed in SEEDS:
        truth = bill("vat_invoice", seed).truth
        total = parse_amount(truth["amount_total"]) + parse_amount(truth["tax_total"])
        assert parse_amount(truth["total"]) == total


def test_id_numbers_and_credit_codes_pass_their_checksums():
    for b in all_bills():
        for key, spec in SPECS[b.code].items():
            if spec["kind"] == "id_number":
                assert gb11643_valid(b.truth[key]), b.truth[key]
            if spec["kind"] == "credit_code":
                assert uscc_valid(b.truth[key]), b.truth[key]


def test_every_true_value_passes_the_rules_of_its_field():
    for b in all_bills():
        for key, spec in SPECS[b.code].items():
            ctx = FieldContext(
                kind=spec["kind"],
                required=spec["required"],
                other_values=b.truth,
                today=date(2026, 1, 1),
            )
            outcome = run_rules(b.truth[key], ctx, build_rules(spec["kind"], spec["rules"]))
            assert outcome.passed, (b.code, key, b.truth[key], outcome.failures)


def test_every_field_spec_has_a_known_kind_and_a_valid_rule_configuration():
    assert set(FIELD_KINDS) <= set(KINDS)
    for doc_type in DEMO_TYPES:
        assert 0 < doc_type["confidence_threshold"] <= 1
        keys = [f["key"] for f in doc_type["fields"]]
        assert len(keys) == len(set(keys))
        assert [f["order"] for f in doc_type["fields"]] == sorted(
            f["order"] for f in doc_type["fields"]
        )
        for spec in doc_type["fields"]:
            assert spec["kind"] in FIELD_KINDS, spec
            validate_config(spec["rules"])
            assert spec["region"] is None or (
                spec["region"]["page"] == 0 and len(spec["region"]["box"]) == 4
            )


def test_each_type_has_region_fields_and_label_anchored_fields():
    for fields in SPECS.values():
        by_region = [k for k, s in fields.items() if s["region"]]
        assert 1 <= len(by_region) < len(fields) / 2


@pytest.mark.parametrize("degrade", [False, True])
def test_region_located_values_lie_inside_their_declared_region(degrade):
    for b in all_bills(degrade):
        slack = _rotation_slack(b.image.size) if degrade else 0
        for key, spec in SPECS[b.code].items():
            if spec["region"]:
                region = _region_px(b.code, key, b.image.size)
                assert _inside(b.boxes[key], region, slack), (b.code, key, b.boxes[key], region)


def test_no_other_text_is_centred_in_a_region_so_the_region_reads_just_the_value():
    for b in all_bills(degrade=False):
        for key, spec in SPECS[b.code].items():
            if not spec["region"]:
                continue
            x0, y0, x1, y1 = _region_px(b.code, key, b.image.size)
            centred = [
                text
                for text, box in b.lines
                if x0 <= (box[0] + box[2]) / 2 <= x1 and y0 <= (box[1] + box[3]) / 2 <= y1
            ]
            assert centred == [b.truth[key]], (b.code, key, centred)


def test_a_pdf_of_several_bills_has_one_page_per_bill():
    bills = [bill(code, 1) for code in CODES]
    info = pdfinfo_from_bytes(bills_to_pdf(bills))
    assert int(info["Pages"]) == len(bills)


def test_save_bill_writes_png_pdf_and_json_with_the_truth(tmp_path):
    b = bill("bank_slip", 1)
    paths = save_bill(b, tmp_path, "slip")
    assert {p.name for p in paths.values()} == {"slip.png", "slip.pdf", "slip.json"}
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert int(pdfinfo_from_bytes(paths["pdf"].read_bytes())["Pages"]) == 1
    meta = json.loads(paths["json"].read_text())
    assert meta["truth"] == b.truth and meta["code"] == "bank_slip" and meta["seed"] == 1
    assert meta["boxes"]["amount"] == list(b.boxes["amount"])


def test_an_unknown_document_type_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="bank_slip"):
        render_bill("receipt", 1)
