"""The upload page: who may upload, oversized bodies refused from their Content-Length before a
byte is read, files streamed to disk, and no file left behind by an upload that fails."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from documents import services
from documents.models import Document
from tests.factories import png


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test the moment anything reads it."""

    def readable(self) -> bool:
        return True

    def read(self, *args, **kwargs):
        raise AssertionError("the request body was read")

    readline = readinto = read  # type: ignore[assignment]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file())


def upload(client, data: bytes, name: str = "slip.png", **extra):
    return client.post(
        reverse("upload"),
        {"document_type": "bank_slip", "file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT="application/json",
        **extra,
    )


def unread_post(client, length: int):
    """A multipart POST announcing ``length`` bytes whose body must never be read."""
    return client.generic(
        "POST",
        reverse("upload"),
        CONTENT_TYPE="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(length),
        HTTP_ACCEPT="application/json",
        **{"wsgi.input": UnreadableBody()},
    )


@pytest.mark.parametrize("persona", ["clerk", "supervisor"])
def test_clerks_and_supervisors_may_upload(client, demo_types, request, persona, settings):
    settings.OCR_TASKS_SYNC = False
    client.force_login(request.getfixturevalue(persona))
    response = upload(client, png())
    assert response.status_code == 201
    assert Document.objects.get(pk=response.json()["id"]).submitted_by.username == persona


def test_a_user_without_a_role_may_not_upload_and_the_body_is_not_read(
    client, outsider, demo_types
):
    client.force_login(outsider)
    response = unread_post(client, 1000)
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "not_allowed" and body["detail"] and set(body) == {"code", "detail"}
    assert Document.objects.count() == 0


def test_a_user_without_a_role_does_not_get_the_upload_page(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("upload")).status_code == 403


def test_an_oversized_upload_is_refused_from_its_content_length_before_the_body_is_read(
    client, clerk, demo_types, settings, media_root
):
    settings.OCR_MAX_UPLOAD_BYTES = 100_000
    client.force_login(clerk)
    response = unread_post(client, 100_000 + 2 * 1024 * 1024)
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "file_too_large" and "MB" in body["detail"]
    assert Document.objects.count() == 0 and files_under(media_root) == []


def test_a_file_over_the_limit_inside_the_multipart_allowance_is_still_413(
    client, clerk, demo_types, settings, media_root
):
    settings.OCR_MAX_UPLOAD_BYTES = 2000
    client.force_login(clerk)
    response = upload(client, png(size=(400, 400)) + b"\0" * 3000)
    assert (response.status_code, response.json()["code"]) == (413, "file_too_large")
    assert files_under(media_root) == []


def test_an_upload_is_streamed_to_a_temporary_file_not_held_in_memory(
    client, clerk, demo_types, settings, monkeypatch
):
    settings.OCR_TASKS_SYNC = False
    seen: list[object] = []
    original = TemporaryFileUploadHandler.file_complete

    def spy(self, file_size):
        uploaded = original(self, file_size)
        seen.append(uploaded)
        return uploaded

    monkeypatch.setattr(TemporaryFileUploadHandler, "file_complete", spy)
    client.force_login(clerk)
    data = png()  # far below FILE_UPLOAD_MAX_MEMORY_SIZE: memory would have taken it
    assert upload(client, data).status_code == 201
    assert len(seen) == 1 and seen[0].size == len(data)  # type: ignore[attr-defined]


def test_the_upload_still_needs_its_csrf_token(demo_types, clerk, settings):
    settings.OCR_TASKS_SYNC = False
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clerk)
    assert upload(browser, png()).status_code == 403
    browser.get(reverse("upload"))
    token = browser.cookies["csrftoken"].value
    assert upload(browser, png(), HTTP_X_CSRFTOKEN=token).status_code == 201


def test_a_refused_upload_leaves_no_file(client, clerk, demo_types, media_root):
    client.force_login(clerk)
    before = files_under(media_root)
    response = upload(client, png()[:200], name="torn.png")
    assert response.status_code == 400
    assert files_under(media_root) == before


def test_a_duplicate_that_loses_the_race_leaves_no_file(
    client, clerk, demo_types, media_root, settings, monkeypatch
):
    settings.OCR_TASKS_SYNC = False
    client.force_login(clerk)
    data = png(color="khaki")
    first = upload(client, data).json()["id"]
    before = files_under(media_root)
    assert len(before) == 1
    earlier = services._earlier_submission
    calls = iter([None])
    # The concurrent upload checked before the first one committed: it saw no earlier document.
    monkeypatch.setattr(
        services, "_earlier_submission", lambda *a: next(calls, None) or earlier(*a)
    )
    again = upload(client, data, name="again.png")
    assert again.status_code == 200 and again.json()["id"] == first
    assert files_under(media_root) == before


def test_an_upload_whose_row_cannot_be_written_leaves_no_file(
    client, clerk, demo_types, media_root, monkeypatch
):
    def database_gone(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(services.events, "document_received", database_gone)
    client.force_login(clerk)
    with pytest.raises(DatabaseError):
        upload(client, png(color="tan"))
    assert files_under(media_root) == []
    assert Document.objects.count() == 0


def test_a_json_submission_over_the_in_memory_limit_is_a_json_413(clerk, demo_types, settings):
    settings.OCR_TASKS_SYNC = False
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    api = APIClient()
    api.force_login(clerk)
    payload = {
        "document_type": "bank_slip",
        "image_base64": base64.b64encode(png() + b"\0" * 120_000).decode(),
    }
    response = api.post("/api/v1/documents/", payload, format="json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "file_too_large" and body["detail"] and "errors" not in body
