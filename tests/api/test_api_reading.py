"""Reading documents, their pages and fields, and the document types a client may use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from documents.models import Document, Field
from recognition.models import ModelVersion
from tests.api.callers import session
from tests.factories import document_with_fields

LIST = "/api/v1/documents/"


@pytest.fixture
def slip(api_client, demo_types):
    doc = document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.99, []),
        },
    )
    version = ModelVersion.objects.create(
        kind="numeric", name="shipped-abc", checkpoint="numeric.pt", sha256="ab" * 32
    )
    doc.fields.filter(spec__key="amount").update(model_version=version, raw_text="8,65O.00")
    Document.objects.filter(pk=doc.pk).update(
        api_client=api_client.client,
        external_id="loan-7",
        page_count=1,
        model_versions={
            "numeric": {"id": version.pk, "name": version.name, "sha256": "ab" * 32},
            "fast": {
                "id": None,
                "name": "PP-OCRv6_rec_tiny",
                "sha256": "cd" * 32,
                "min_confidence": 0.98,
            },
        },
        timings={"render_s": 0.2, "read_s": 1.5},
    )
    return doc


def mine(api_client, doc_type, **changes) -> Document:
    doc = document_with_fields(doc_type, {doc_type.fields.first().key: ("1", 0.99, [])})
    Document.objects.filter(pk=doc.pk).update(api_client=api_client.client, **changes)
    return doc


def test_document_shows_status_pages_fields_models_and_timings(api, slip):
    response = api.get(f"{LIST}{slip.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "needs_review"
    assert body["document_type"] == "bank_slip"
    assert body["external_id"] == "loan-7"
    assert body["timings"] == {"render_s": 0.2, "read_s": 1.5}
    assert body["model_versions"]["numeric"]["name"] == "shipped-abc"
    assert body["model_versions"]["fast"] == {
        "id": None,
        "name": "PP-OCRv6_rec_tiny",
        "sha256": "cd" * 32,
        "min_confidence": 0.98,
    }
    assert body["pages"] == [
        {
            "index": 0,
            "width": 800,
            "height": 400,
            "image_url": f"http://testserver/api/v1/documents/{slip.pk}/pages/0/image",
        }
    ]
    fields = {f["key"]: f for f in body["fields"]}
    assert fields["amount"] == {
        "id": fields["amount"]["id"],
        "key": "amount",
        "label": fields["amount"]["label"],
        "kind": "amount",
        "value": "8,650.00",
        "normalized": "",
        "raw_text": "8,65O.00",
        "confidence": 0.99,
        "status": "auto_accepted",
        "review_reasons": [],
        "box": [10, 50, 300, 80],
        "page": 0,
        "model_version": {"kind": "numeric", "name": "shipped-abc", "sha256": "ab" * 32},
        "version": 1,
    }
    assert fields["payer_name"]["status"] == "needs_review"
    assert fields["payer_name"]["review_reasons"] == [
        {"code": "low_confidence", "message": "reason low_confidence", "params": {}}
    ]
    for key in ("created_at", "processed_at", "completed_at", "error", "status_url"):
        assert key in body


def test_field_without_a_page_or_box_reads_as_null(api, slip):
    Field.objects.filter(document=slip).update(page=None, box=None)
    fields = api.get(f"{LIST}{slip.pk}/").json()["fields"]
    assert all(f["page"] is None and f["box"] is None for f in fields)


def test_page_image_is_served_as_jpeg_to_its_owner(api, slip):
    response = api.get(f"{LIST}{slip.pk}/pages/0/image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")  # the factory's bytes


def test_missing_page_is_404(api, slip):
    response = api.get(f"{LIST}{slip.pk}/pages/5/image")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_unknown_document_is_404(api, db):
    assert api.get(f"{LIST}999999/").json()["code"] == "not_found"


def test_list_filters_by_status_type_external_id_and_date(api, api_client, demo_types):
    now = timezone.now()
    old = mine(api_client, demo_types["bank_slip"], status="completed", external_id="a")
    Document.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=10))
    new = mine(api_client, demo_types["vat_invoice"], status="failed", external_id="b")

    def ids(**query):
        response = api.get(LIST, query)
        assert response.status_code == 200, response.json()
        return [d["id"] for d in response.json()["results"]]

    assert ids() == [new.pk, old.pk]
    assert ids(status="completed") == [old.pk]
    assert ids(document_type="vat_invoice") == [new.pk]
    assert ids(external_id="a") == [old.pk]
    assert ids(created_after=(now - timedelta(days=1)).isoformat()) == [new.pk]
    assert ids(created_before=(now - timedelta(days=1)).isoformat()) == [old.pk]


def test_bad_filter_value_is_400(api, db):
    response = api.get(LIST, {"status": "lost", "created_after": "yesterday"})
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "invalid")
    assert set(body["errors"]) == {"status", "created_after"}


def test_list_is_paginated(api, api_client, demo_types):
    for _ in range(3):
        mine(api_client, demo_types["bank_slip"])
    first = api.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    assert len(api.get(first["next"]).json()["results"]) == 1
    assert api.get(LIST, {"page": 9}).json()["code"] == "not_found"


def test_document_types_are_only_the_clients_allowed_ones_with_field_specs(api, demo_types):
    body = api.get("/api/v1/document-types/").json()
    assert sorted(t["code"] for t in body) == ["bank_slip", "vat_invoice"]
    slip = next(t for t in body if t["code"] == "bank_slip")
    keys = [f["key"] for f in slip["fields"]]
    assert keys == [s.key for s in demo_types["bank_slip"].fields.all()]
    amount = next(f for f in slip["fields"] if f["key"] == "amount")
    assert amount["kind"] == "amount" and 0 < amount["threshold"] <= 1


def test_document_type_detail_hides_types_the_client_may_not_use(api, demo_types):
    assert api.get("/api/v1/document-types/bank_slip/").status_code == 200
    response = api.get("/api/v1/document-types/loan_application/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_clerk_sees_every_active_type(clerk, demo_types):
    body = session(clerk).get("/api/v1/document-types/").json()
    assert sorted(t["code"] for t in body) == sorted(demo_types)
