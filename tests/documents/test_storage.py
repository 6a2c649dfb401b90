"""Files go through Django's storage API only: the whole path of a document works on a storage
that has no local path at all (an object store behaves the same way)."""

from __future__ import annotations

import io

from django.urls import reverse

from demo.render import render_bill
from documents import services
from documents.models import Document

IN_MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def test_a_document_is_stored_read_and_shown_without_a_local_file(
    settings, demo_types, clerk, client, django_capture_on_commit_callbacks, tmp_path
):
    settings.STORAGES = IN_MEMORY
    settings.MEDIA_ROOT = tmp_path / "must-stay-empty"
    buffer = io.BytesIO()
    render_bill("bank_slip", 9, degrade=False).image.save(buffer, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.ingest(
            buffer.getvalue(), name="slip.png", document_type="bank_slip"
        ).document
    doc.refresh_from_db()
    assert doc.status in (Document.Status.NEEDS_REVIEW, Document.Status.COMPLETED), doc.error
    page = doc.pages.get()
    field = doc.fields.exclude(box=None).first()
    client.force_login(clerk)
    assert client.get(reverse("page-image", args=[page.pk])).status_code == 200
    assert client.get(reverse("field-crop", args=[field.pk])).status_code == 200
    assert not (tmp_path / "must-stay-empty").exists(), "nothing written to a local path"
