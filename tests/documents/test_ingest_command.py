"""Command-line intake: manage.py load_types and manage.py ingest, on the embedded default."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from bench.real_truth import real_pages
from documents.models import Document, DocumentType, FieldSpec
from documents.shipped_types import SHIPPED_TYPES


@pytest.mark.django_db
def test_load_types_installs_the_shipped_types_and_running_it_again_changes_nothing():
    call_command("load_types", stdout=io.StringIO())
    codes = set(DocumentType.objects.values_list("code", flat=True))
    assert {"e_invoice_digital", "vat_e_invoice", "receipt"} <= codes
    specs = FieldSpec.objects.count()
    assert specs == sum(len(t["fields"]) for t in SHIPPED_TYPES)
    call_command("load_types", stdout=io.StringIO())
    assert FieldSpec.objects.count() == specs
    seller = FieldSpec.objects.get(document_type__code="vat_e_invoice", key="seller_name")
    assert seller.location["section"] == "seller" and seller.kind == "company"
    seller.full_clean()


@pytest.mark.django_db
def test_load_demo_installs_the_shipped_types_too():
    call_command("load_demo", bills=0, password="pw-demo-1234", stdout=io.StringIO())
    assert DocumentType.objects.filter(code="receipt").exists()
    assert DocumentType.objects.filter(code="vat_invoice").exists()


@pytest.mark.django_db
def test_an_unknown_type_is_refused_with_a_hint(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    with pytest.raises(CommandError, match="load_types"):
        call_command("ingest", str(tmp_path / "a.png"), type_code="nope")


@pytest.mark.django_db
def test_without_wait_files_are_queued_once_and_a_bad_file_is_refused(tmp_path, settings):
    settings.OCR_TASKS_SYNC = False  # nothing runs: no cluster in this test
    call_command("load_types", stdout=io.StringIO())
    good, empty = tmp_path / "good.png", tmp_path / "empty.png"
    from PIL import Image

    Image.new("RGB", (200, 100), "white").save(good)
    empty.write_bytes(b"")
    out = tmp_path / "out.jsonl"
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("ingest", str(tmp_path), type_code="receipt", json_out=str(out))
    first = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["status"] for e in first] == ["refused", "queued"]
    assert first[0]["error"] and first[0]["document_id"] is None
    call_command("ingest", str(good), type_code="receipt", json_out=str(out))
    again = json.loads(out.read_text())
    assert again["document_id"] == first[1]["document_id"]
    assert Document.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ingest_wait_recognises_a_real_invoice_inline_and_writes_its_fields(samples, tmp_path):
    page = next(p for p in real_pages(("real-zh",)) if p["type"] == "e_invoice_digital")
    call_command("load_types", stdout=io.StringIO())
    out = tmp_path / "out.jsonl"
    call_command(
        "ingest", str(page["path"]), type_code="e_invoice_digital", wait=True, json_out=str(out)
    )
    (entry,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert entry["file"] == str(page["path"])
    assert entry["status"] in ("needs_review", "completed")
    keys = {f["key"] for f in SHIPPED_TYPES[0]["fields"]}
    assert set(entry["fields"]) == keys
    number = entry["fields"]["invoice_number"]
    assert set(number) >= {"value", "raw_text", "confidence", "status"}
    assert number["value"] == page["truth"]["invoice_number"]
    assert entry["fields"]["total"]["normalized"] == page["truth"]["total"]
    assert Document.objects.get(pk=entry["document_id"]).status == entry["status"]
