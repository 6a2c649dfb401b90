"""POST /api/v1/documents/: accepted at once, safe to retry, refused with a code when wrong."""

from __future__ import annotations

import base64
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from documents.models import Document, Event
from tests.api.callers import make_caller, session
from tests.factories import png

URL = "/api/v1/documents/"


def upload(data: bytes, name: str = "slip.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def submit(http, data: bytes | None = None, key: str | None = None, **fields):
    body = {"document_type": "bank_slip", **fields}
    if data is not None:
        body["file"] = upload(data)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return http.post(URL, body, format="multipart", **headers)


def test_multipart_submission_is_accepted_with_a_status_url(api, api_client):
    response = submit(api, png(), external_id="loan-7", callback_url="https://hooks.test/x")
    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"id", "status", "status_url", "created"}
    assert body["status"] == "queued" and body["created"] is True
    assert body["status_url"] == f"http://testserver/api/v1/documents/{body['id']}/"
    assert response["Location"] == body["status_url"]
    doc = Document.objects.get(pk=body["id"])
    assert doc.api_client == api_client.client
    assert doc.submitted_by == api_client.client.user
    assert doc.source == Document.Source.API
    assert (doc.external_id, doc.callback_url) == ("loan-7", "https://hooks.test/x")
    assert Event.objects.filter(document=doc, kind="document_received").exists()
    assert api.get(body["status_url"]).json()["status"] == "queued"


def test_json_submission_with_base64_is_accepted(api):
    payload = {
        "document_type": "vat_invoice",
        "image_base64": "data:image/png;base64," + base64.b64encode(png()).decode(),
        "file_name": "invoice.png",
    }
    response = api.post(URL, payload, format="json")
    assert response.status_code == 202
    doc = Document.objects.get(pk=response.json()["id"])
    assert (doc.original_name, doc.document_type.code) == ("invoice.png", "vat_invoice")


def test_same_idempotency_key_twice_makes_one_document(api):
    first = submit(api, png(), key="loan-7-attempt")
    again = submit(api, png(), key="loan-7-attempt")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert Document.objects.count() == 1


def test_same_file_twice_without_a_key_returns_the_same_document(api):
    first = submit(api, png())
    again = submit(api, png())
    assert again.json() == {**first.json(), "created": False}
    assert Document.objects.count() == 1


def test_reusing_a_key_for_another_file_is_refused(api):
    submit(api, png(), key="k1")
    response = submit(api, png(color="black"), key="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Document.objects.count() == 1


def test_same_key_from_two_clients_makes_two_documents(api, other_client):
    assert submit(api, png(), key="k1").status_code == 202
    theirs = submit(other_client.http(), png(), key="k1")
    assert theirs.status_code == 202 and theirs.json()["created"] is True
    assert Document.objects.count() == 2


def test_same_file_from_two_clients_makes_two_documents(api, other_client):
    mine = submit(api, png()).json()
    theirs = submit(other_client.http(), png()).json()
    assert mine["id"] != theirs["id"] and theirs["created"] is True


@pytest.mark.parametrize("key", ["", "x" * 129, "naïve-ключ"])
def test_unusable_idempotency_key_is_400(api, key):
    response = submit(api, png(), key=key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"


def test_document_type_the_client_may_not_use_is_403(api):
    response = submit(api, png(), document_type="loan_application")
    assert response.status_code == 403
    assert response.json()["code"] == "document_type_not_allowed"
    assert "loan_application" in response.json()["detail"]
    assert Document.objects.count() == 0


def test_client_with_no_allowed_types_may_submit_nothing(demo_types):
    caller = make_caller("unscoped", types=())
    assert submit(caller.http(), png()).json()["code"] == "document_type_not_allowed"


def test_unknown_document_type_is_400(api):
    response = submit(api, png(), document_type="payslip")
    assert (response.status_code, response.json()["code"]) == (400, "unknown_document_type")


BAD_FILES = [
    pytest.param(b"", 400, "empty_file", id="empty"),
    pytest.param(b"PK\x03\x04 a zip file", 415, "unsupported_media_type", id="zip"),
    pytest.param(png()[:80], 400, "corrupt_file", id="truncated-png"),
]


@pytest.mark.parametrize(("data", "status", "code"), BAD_FILES)
def test_bad_file_is_refused_with_its_code(api, data, status, code):
    response = submit(api, data)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and len(body["detail"]) > 10
    assert Document.objects.count() == 0


def test_file_over_the_upload_limit_is_413(api, settings):
    settings.OCR_MAX_UPLOAD_BYTES = 2000
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 50).save(buffer, "PNG")
    response = submit(api, buffer.getvalue())
    assert (response.status_code, response.json()["code"]) == (413, "file_too_large")


def test_body_far_over_the_limit_is_413_before_it_is_parsed(api, settings):
    settings.OCR_MAX_UPLOAD_BYTES = 1000
    payload = {"document_type": "bank_slip", "image_base64": "A" * 2_000_000}
    response = api.post(URL, payload, format="json")
    assert (response.status_code, response.json()["code"]) == (413, "file_too_large")


def test_pixel_bomb_is_413(api, settings):
    settings.OCR_MAX_IMAGE_PIXELS = 1_000_000
    buffer = io.BytesIO()
    Image.new("1", (3000, 3000)).save(buffer, "PNG")
    response = submit(api, buffer.getvalue())
    assert (response.status_code, response.json()["code"]) == (413, "image_too_large")


def test_missing_file_is_400_no_file(api):
    response = submit(api, None)
    assert (response.status_code, response.json()["code"]) == (400, "no_file")


def test_missing_document_type_is_400_with_the_field_named(api):
    response = api.post(URL, {"file": upload(png())}, format="multipart")
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "invalid")
    assert body["detail"].startswith("document_type:")
    assert "document_type" in body["errors"]


def test_invalid_base64_is_400(api):
    response = api.post(
        URL, {"document_type": "bank_slip", "image_base64": "not base64!"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_base64")


def test_unsupported_request_format_is_415(api):
    response = api.post(URL, "document_type=bank_slip", content_type="text/plain")
    assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type")


def test_malformed_json_is_400_parse_error(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, "parse_error")


def test_callback_url_must_be_http(api):
    response = submit(api, png(), callback_url="ftp://hooks.test/x")
    assert response.status_code == 400
    assert "callback_url" in response.json()["errors"]


def test_browser_session_cannot_ask_for_a_webhook(clerk, demo_types):
    http = session(clerk)
    http.handler.enforce_csrf_checks = False
    response = submit(http, png(), callback_url="https://hooks.test/x")
    assert response.status_code == 400
    assert "token" in response.json()["detail"]


def test_clerk_session_may_submit_without_a_webhook(clerk, demo_types):
    response = submit(session(clerk), png(), document_type="loan_application")
    assert response.status_code == 202
    doc = Document.objects.get(pk=response.json()["id"])
    assert doc.api_client is None and doc.submitted_by == clerk


def test_unsupported_method_is_405(api):
    response = api.delete(URL)
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")
