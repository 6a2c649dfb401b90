"""One JSON error shape for pages and API alike: {"code", "detail", ...}."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import document_with_fields


def test_the_upload_page_refuses_a_bad_file_in_the_common_shape(client, clerk, demo_types):
    client.force_login(clerk)
    reply = client.post(
        reverse("upload"),
        {"document_type": "bank_slip", "file": SimpleUploadedFile("empty.png", b"")},
    )
    body = reply.json()
    assert reply.status_code == 400
    assert body["code"] == "empty_file" and body["detail"] and "error" not in body


def test_a_review_refusal_on_the_page_uses_the_common_shape(client, clerk, demo_types):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.5, ["low"])})
    field = doc.fields.get()
    client.force_login(clerk)
    reply = client.post(
        reverse("review-decide", args=[field.pk]),
        {"value": "1.00", "version": field.version},
        content_type="application/json",
    )
    body = reply.json()
    assert reply.status_code == 409
    assert body["code"] == "lease_lost" and body["detail"] and "error" not in body


def test_the_api_uses_the_same_shape(client, clerk):
    client.force_login(clerk)
    body = client.get("/api/v1/no-such-thing").json()
    assert body["code"] == "not_found" and "detail" in body
