"""Bad input to the review pages and the dashboard is a clear 400 or a clamped value, never a 500;
exported spreadsheets never carry a formula."""

from __future__ import annotations

import csv

import pytest
from django.urls import reverse

from documents.cells import safe_cell
from reviews import services
from reviews.dashboard import days_param
from tests.factories import document_with_fields


@pytest.fixture
def held_field(demo_types, clerk):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.5, ["low"])})
    return services.claim(doc.fields.get().pk, clerk)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"value": "1.00", "version": "abc"}', b'{"seconds": "x"}'],
)
def test_decide_answers_400_to_a_malformed_body(client, clerk, held_field, body):
    client.force_login(clerk)
    reply = client.post(
        reverse("review-decide", args=[held_field.pk]), body, content_type="application/json"
    )
    assert reply.status_code == 400 and reply.json()["code"] == "invalid"


def test_check_answers_400_to_a_malformed_body(client, clerk, held_field):
    client.force_login(clerk)
    reply = client.post(
        reverse("review-check", args=[held_field.pk]), b"\xff", content_type="application/json"
    )
    assert reply.status_code == 400


@pytest.mark.parametrize(("raw", "days"), [("abc", 14), ("1000000", 365), ("-3", 1), (None, 14)])
def test_dashboard_days_are_clamped(client, supervisor, raw, days):
    assert days_param(raw) == days
    client.force_login(supervisor)
    query = {} if raw is None else {"days": raw}
    assert client.get(reverse("dashboard"), query).status_code == 200


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("-12.50", "-12.50"),
        ("1,234.50", "1,234.50"),
        ("张伟", "张伟"),
        (3, 3),
    ],
)
def test_formula_like_cells_are_escaped(value, safe):
    assert safe_cell(value) == safe


def test_the_corrections_csv_escapes_formulas(demo_types, clerk, tmp_path):
    from reviews.export import ExportParams, export_corrections
    from tests.finetune.clerking import decide

    doc = document_with_fields(
        demo_types["bank_slip"], {"payer_name": ("张伟", 0.5, ["low_confidence"])}
    )
    decide(doc.fields.get(), clerk, "=cmd|' /C calc'!A0")
    export_corrections(ExportParams(formats=("csv",)), tmp_path / "out")
    rows = list(csv.DictReader(open(tmp_path / "out" / "corrections.csv", encoding="utf-8")))
    assert rows and all(not r["text"].startswith("=") for r in rows)
    assert rows[0]["text"].startswith("'=")
