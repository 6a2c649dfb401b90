"""Exports of results: one row per document, one column per field key, canonical values,
formula-safe cells; CSV and Excel hold the same; many documents go through a background job with
its progress, and only the asker (or a supervisor) downloads it."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from documents import export_jobs
from documents.models import Document, DocumentExport, Field
from tests.factories import document_with_fields

FORMULA = '=HYPERLINK("http://evil.example","click")'
FIXED = 7  # id, file, external id, type, status, received, fields to review


@pytest.fixture
def docs(demo_types):
    slip = demo_types["bank_slip"]
    a = document_with_fields(
        slip, {"payer_name": (FORMULA, 0.99, []), "amount": ("1,234.5", 0.99, [])}
    )
    Field.objects.filter(document=a, spec__key="amount").update(normalized="1234.50")
    b = document_with_fields(slip, {"payer_name": ("李四", 0.5, ["low_confidence"])})
    c = document_with_fields(demo_types["loan_application"], {"applicant_name": ("王五", 0.99, [])})
    return a, b, c


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "a byte order mark, for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _stored(job: DocumentExport) -> bytes:
    job.refresh_from_db()
    with export_jobs.open_file(job) as fh:
        return fh.read()


def _xlsx(content: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def _export(client, fmt: str, **params) -> bytes:
    response = client.post("/documents/export/", {"format": fmt, **params})
    assert response.status_code == 200, response.content[:300]
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    return response.content


def test_csv_has_one_row_per_document_and_escapes_formulas(client, clerk, docs):
    a, b, c = docs
    client.force_login(clerk)
    rows = _csv(_export(client, "csv", type="bank_slip"))
    header, *body = rows
    assert header[:FIXED] == [
        "Document",
        "File",
        "External ID",
        "Type",
        "Status",
        "Received",
        "Fields to review",
    ]
    keys = header[FIXED:]
    assert keys[:3] == ["slip_number", "transaction_date", "payer_name"]
    assert [int(r[0]) for r in body] == [b.pk, a.pk], "the list's order: newest first"
    first = dict(zip(keys, body[1][FIXED:], strict=True))
    assert first["payer_name"] == "'" + FORMULA
    assert first["amount"] == "1234.50", "the canonical form"
    assert first["slip_number"] == "", "a field not read is an empty cell"
    assert body[0][3:5] == ["bank_slip", "needs_review"]
    assert body[0][6] == "1"


def test_a_correction_is_exported_in_its_canonical_form(client, clerk, docs):
    from reviews import services as review

    a = docs[0]
    amount = Field.objects.get(document=a, spec__key="amount")
    review.claim(amount.pk, clerk, correcting=True)
    review.decide(amount.pk, clerk, "¥999.00", version=amount.version)
    amount.refresh_from_db()
    assert amount.status == Field.Status.CORRECTED and amount.normalized == "999.00"
    client.force_login(clerk)
    header, *body = _csv(_export(client, "csv", q=a.original_name))
    assert dict(zip(header, body[0], strict=True))["amount"] == "999.00"


def test_xlsx_opens_and_holds_the_same_values_as_the_csv(client, clerk, docs):
    client.force_login(clerk)
    from_csv = _csv(_export(client, "csv"))
    from_xlsx = _xlsx(_export(client, "xlsx"))
    assert len(from_xlsx) == len(from_csv) == 4
    assert from_xlsx[0] == from_csv[0]
    for x_row, c_row in zip(from_xlsx[1:], from_csv[1:], strict=True):
        assert int(x_row[0]) == int(c_row[0])
        assert x_row[5].strftime("%Y-%m-%d %H:%M:%S") == c_row[5]  # a real date in Excel
        assert [str(v) for v in x_row[FIXED:]] == c_row[FIXED:]
        assert [str(v) for v in x_row[1:5]] == c_row[1:5]
    assert "'" + FORMULA in from_xlsx[-1]


def test_a_mixed_export_has_one_column_per_distinct_key(client, clerk, docs):
    client.force_login(clerk)
    header, *body = _csv(_export(client, "csv"))
    keys = header[FIXED:]
    assert len(keys) == len(set(keys))
    assert {"payer_name", "applicant_name", "amount", "id_number"} <= set(keys)
    loan = dict(zip(header, body[0], strict=True))
    assert (loan["Type"], loan["applicant_name"], loan["payer_name"]) == (
        "loan_application",
        "王五",
        "",
    )


def test_export_of_selected_documents(client, clerk, docs):
    a, b, c = docs
    client.force_login(clerk)
    response = client.post("/documents/bulk/", {"ids": [c.pk, a.pk], "action": "xlsx"})
    assert response.status_code == 200
    rows = _xlsx(response.content)
    assert [r[0] for r in rows[1:]] == [c.pk, a.pk]


def test_a_large_export_runs_as_a_job_with_progress_and_a_private_download(
    client, clerk, clerk2, supervisor, docs, settings, django_capture_on_commit_callbacks
):
    settings.OCR_EXPORT_SYNC_MAX = 2
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/documents/export/", {"format": "xlsx", "next": "/documents/"})
    job = DocumentExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/documents/exports/{job.pk}/"
    assert (job.status, job.total, job.done, job.created_by) == ("done", 3, 3, clerk)

    page = client.get(response["Location"]).content.decode()
    assert f'data-export-job="/documents/exports/{job.pk}/status/"' in page
    assert "<progress" in page and "documents_list.js" in page
    state = client.get(f"/documents/exports/{job.pk}/status/").json()
    assert state == {
        "id": job.pk,
        "status": "done",
        "status_label": "Done",
        "done": 3,
        "total": 3,
        "percent": 100,
        "download_url": f"/documents/exports/{job.pk}/download/",
    }
    download = client.get(state["download_url"])
    assert download["Cache-Control"] == "private, no-store"
    rows = _xlsx(b"".join(download.streaming_content))
    assert [r[0] for r in rows[1:]] == [d.pk for d in reversed(docs)]
    listed = client.get("/documents/").content.decode()
    assert f'data-export-job="/documents/exports/{job.pk}/status/"' in listed, "on the list too"

    client.force_login(clerk2)
    assert client.get(state["download_url"]).status_code == 404
    assert client.get(f"/documents/exports/{job.pk}/status/").status_code == 404
    client.force_login(supervisor)
    assert client.get(state["download_url"]).status_code == 200


def test_a_queued_job_shows_no_download_yet_and_a_second_delivery_does_nothing(
    clerk, docs, django_capture_on_commit_callbacks
):
    job = export_jobs.request_export([d.pk for d in docs], "csv", clerk)  # not committed: queued
    assert export_jobs.open_file(job) is None
    assert job.percent == 0
    assert export_jobs.run_export(job.pk) == "done"
    assert export_jobs.run_export(job.pk) == "skipped"
    header, *body = _csv(_stored(job))
    assert len(body) == 3


def test_a_document_deleted_after_it_was_chosen_is_left_out(clerk, docs):
    job = export_jobs.request_export([d.pk for d in docs], "csv", clerk)
    Document.objects.filter(pk=docs[1].pk).delete()
    assert export_jobs.run_export(job.pk) == "done"
    header, *body = _csv(_stored(job))
    assert [int(r[0]) for r in body] == [docs[0].pk, docs[2].pk]


def test_a_job_writes_its_header_in_the_askers_language(clerk, docs):
    from django.utils import translation

    with translation.override("zh-hans"):
        job = export_jobs.request_export([docs[0].pk], "csv", clerk)
    assert export_jobs.run_export(job.pk) == "done"
    header = _csv(_stored(job))[0]
    assert header[2] == "外部编号"


@pytest.fixture
def chromium(monkeypatch):
    from tests.browser import test_review_browser as shared

    yield from shared.browser.__wrapped__(monkeypatch)  # the browser tests' own Chromium fixture


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_ticks_enable_the_bulk_bar_and_a_large_export_shows_its_progress(
    live_server, chromium, demo_types, clerk, settings
):
    from tests.browser.test_review_browser import ARTIFACTS, login

    slip = demo_types["bank_slip"]
    docs = [document_with_fields(slip, {"payer_name": (f"户名{i}", 0.99, [])}) for i in range(3)]
    settings.OCR_EXPORT_SYNC_MAX = 2
    settings.OCR_TASKS_SYNC = False  # the job waits in the queue until the test runs it
    page = login(chromium.new_context(accept_downloads=True), live_server.url, "clerk")

    export_csv = page.locator("button[value=csv][data-needs-selection]")
    assert export_csv.is_disabled()
    page.locator(f'input[name=ids][value="{docs[0].pk}"]').check()
    assert export_csv.is_enabled()
    assert page.locator("[data-selected-count]").inner_text() == "1 selected"
    page.locator("[data-select-all]").check()
    assert page.locator("[data-selected-count]").inner_text() == "3 selected"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "documents-list.png"), full_page=True)
    page.locator(f'input[name=ids][value="{docs[0].pk}"]').uncheck()
    assert not page.locator("[data-select-all]").is_checked()
    with page.expect_download() as small:  # 2 documents: written at once
        export_csv.click()
    assert small.value.suggested_filename.endswith(".csv")

    page.locator("button[name=format][value=xlsx]").click()  # all 3: over the threshold
    page.wait_for_url(f"{live_server.url}/documents/exports/*/")
    job = DocumentExport.objects.get()
    assert page.locator("[data-state]").inner_text() == "Queued"
    with page.expect_download() as large:
        assert export_jobs.run_export(job.pk) == "done"  # a worker's turn; the page polls
    assert large.value.suggested_filename == f"documents-{job.pk}.xlsx"
    assert page.locator("progress").get_attribute("value") == "100"
    assert page.locator("[data-download]").is_visible()
    page.screenshot(path=str(ARTIFACTS / "documents-export-job.png"), full_page=True)
