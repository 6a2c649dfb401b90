"""The visual type editor's server side: drafts validated like the admin, tried on the lines
recognition stored for a real e-invoice, saved to the field specs, and read by the real pipeline."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from documents import services, type_editing
from documents.models import Document, DocumentType, FieldSpec
from processing.run import process_document

SAMPLE = "real-zh/docs/fph_digital_e_invoice_79b53d3d95.png"
NUMBER = "25417000000256819006"
SELLER = "北京假日阳光环球旅行社有限公司漯河分公司"


@pytest.fixture
def new_type(db) -> DocumentType:
    return DocumentType.objects.create(code="my_invoice", name="My invoice")


@pytest.fixture
def sample_doc(new_type, samples, django_capture_on_commit_callbacks) -> Document:
    data = (samples / SAMPLE).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.ingest(data, name="invoice.png", document_type=new_type).document
    doc.refresh_from_db()
    assert doc.page_count == 1, doc.error
    return doc


def _field(key: str, label: str, kind: str = "text", **extra) -> dict:
    return {"key": key, "label": label, "kind": kind, "required": True, **extra}


def test_a_draft_is_checked_like_the_admin_form(new_type):
    bad = {
        "layout": {},
        "fields": [
            _field("number", "发票号码", location={"by": "nowhere"}),
            _field("number", "again"),
            _field("", "no key"),
        ],
    }
    with pytest.raises(type_editing.DraftError) as caught:
        type_editing.parse_draft(new_type, bad)
    errors = caught.value.errors
    assert "location" in errors["number"] and "nowhere" in errors["number"]
    assert "already has the key 'number'" in errors["fields[1]"]
    assert set(errors) == {"number", "fields[1]", "fields[2]"}
    with pytest.raises(type_editing.DraftError) as caught:
        type_editing.parse_draft(new_type, {"layout": {"frame": "moon"}, "fields": []})
    assert "layout" in caught.value.errors
    assert not FieldSpec.objects.filter(document_type=new_type).exists()


def test_the_draft_is_tried_on_a_real_invoice_saved_and_read_by_the_pipeline(
    sample_doc, new_type, admin_user, client, supervisor
):
    client.force_login(admin_user)
    page = client.get(reverse("type-editor", args=[new_type.pk]))
    assert page.status_code == 200
    data = page.context["editor_data"]
    assert data["document"] == sample_doc.pk and len(data["lines"]) > 20
    assert any(line["text"].startswith("发票号码") for line in data["lines"])

    draft = {
        "layout": {},
        "fields": [
            _field("invoice_number", "发票号码", "number"),
            _field("seller_name", "名称", "company", location={"occurrence": 2}),
        ],
    }
    tried = client.post(
        reverse("type-editor-test", args=[new_type.pk]),
        {"draft": draft, "document": sample_doc.pk},
        content_type="application/json",
    ).json()["results"]
    values = {r["key"]: r["value"] for r in tried}
    assert values == {"invoice_number": NUMBER, "seller_name": SELLER}
    recent = client.post(
        reverse("type-editor-test", args=[new_type.pk]),
        {"draft": draft, "scope": "recent"},
        content_type="application/json",
    ).json()["documents"]
    assert recent == [
        {
            "id": sample_doc.pk,
            "name": "invoice.png",
            "values": values,
            "flagged": recent[0]["flagged"],
        }
    ]

    saved = client.post(
        reverse("type-editor-save", args=[new_type.pk]),
        json.dumps({"draft": draft}),
        content_type="application/json",
    )
    assert saved.json()["saved"] == 2
    specs = {s.key: s for s in new_type.fields.all()}
    assert specs["seller_name"].location == {"occurrence": 2}
    assert specs["seller_name"].kind == "company" and specs["invoice_number"].order == 0

    Document.objects.filter(pk=sample_doc.pk).update(status=Document.Status.QUEUED)
    assert process_document(sample_doc.pk) == "done"
    read = dict(sample_doc.fields.values_list("spec__key", "value"))
    assert read == {"invoice_number": NUMBER, "seller_name": SELLER}


def test_only_staff_who_may_change_types_open_the_editor(new_type, client, supervisor):
    client.force_login(supervisor)
    assert client.get(reverse("type-editor", args=[new_type.pk])).status_code == 403
    assert (
        client.post(
            reverse("type-editor-save", args=[new_type.pk]),
            {"draft": {"fields": []}},
            content_type="application/json",
        ).status_code
        == 403
    )
    supervisor.user_permissions.add(Permission.objects.get(codename="change_documenttype"))
    supervisor.is_staff = True
    supervisor.save()
    assert client.get(reverse("type-editor", args=[new_type.pk])).status_code == 200
