"""Exports asked for in the admin run as background jobs; the zip is for staff only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.urls import reverse

from documents.models import Field
from reviews import export, jobs
from reviews.export import ExportParams
from reviews.models import ExportJob
from tests.factories import document_with_fields
from tests.finetune.clerking import decide


@pytest.fixture
def decided_slip(demo_types, clerk):
    doc = document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.71, ["low_confidence"]),
        },
    )
    for field, value in zip(doc.fields.order_by("spec__order"), ("张伟", "8,650.50")):
        decide(field, clerk, value)
    return doc


def _ask_in_admin(client, django_capture_on_commit_callbacks, **data) -> ExportJob:
    form = {
        "month": "",
        "since": "",
        "until": "",
        "document_type": "",
        "include_confirmed": "100",
        "formats": list(export.FORMATS),
        "val_percent": "10",
        **data,
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("admin:reviews_exportjob_add"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(callbacks) == 1, "the job is handed to the queue after the commit, not run inline"
    return ExportJob.objects.get()


def test_admin_export_runs_as_a_background_job_and_offers_the_zip(
    decided_slip, admin_user, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    job = _ask_in_admin(client, django_capture_on_commit_callbacks, mask_ids="on")

    assert job.status == ExportJob.Status.DONE, job.error
    assert job.created_by == admin_user and job.params["mask_ids"] is True
    assert (job.counts["exported"], job.counts["corrected"], job.counts["confirmed"]) == (2, 1, 1)
    listing = client.get(reverse("admin:reviews_exportjob_changelist")).content.decode()
    download = reverse("admin:reviews_exportjob_download", args=[job.pk])
    assert download in listing

    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert f"corrections-{job.pk}/manifest.json" in names
    assert sum(n.endswith(".png") for n in names) == 2
    manifest = json.loads(archive.read(f"corrections-{job.pk}/manifest.json"))
    assert manifest["counts"] == job.counts


def test_admin_form_explains_a_bad_window(admin_user, client, db):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:reviews_exportjob_add"),
        {"month": "2025-3x", "include_confirmed": "100", "formats": ["paddle"], "val_percent": 10},
    )
    assert response.status_code == 200
    assert "is not a month" in response.content.decode()
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "supervisor", None])
def test_only_staff_can_download_an_export(decided_slip, client, request, who):
    job = jobs.request_export(ExportParams(), None)
    assert jobs.run_job(job.pk) == "done"
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("admin:reviews_exportjob_download", args=[job.pk]))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_second_delivery_of_an_export_task_does_nothing_and_run_again_replaces_the_archive(
    decided_slip, clerk, demo_types, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.request_export(ExportParams(), None)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE
    assert jobs.run_job(job.pk) == "skipped"

    other = document_with_fields(
        demo_types["bank_slip"], {"payer_name": ("李娜", 0.5, ["low_confidence"])}
    )
    decide(other.fields.get(), clerk, "李娜")
    with django_capture_on_commit_callbacks(execute=True):
        jobs.queue_job(job)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.counts["exported"] == 3
    archive = zipfile.ZipFile(jobs.open_archive(job))
    assert sum(n.endswith(".png") for n in archive.namelist()) == 3
    assert not (jobs.work_root() / f"job-{job.pk}").exists(), "work folder cleaned up"


def test_a_failing_export_job_records_why(db):
    job = ExportJob.objects.create(params={"formats": ["pdf"]})
    assert jobs.run_job(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "pdf" in job.error
    assert jobs.open_archive(job) is None


def test_a_decided_field_is_exported_once_even_after_its_document_is_read_again(
    decided_slip, tmp_path
):
    """Re-running recognition replaces the fields; their old decisions no longer point at them."""
    Field.objects.filter(document=decided_slip).delete()
    result = export.export_corrections(ExportParams(), tmp_path / "out")
    assert result.counts["exported"] == 0 == result.counts["decisions"]


def test_admin_pages_of_exports_render_for_staff(decided_slip, admin_user, client):
    client.force_login(admin_user)
    add = client.get(reverse("admin:reviews_exportjob_add"))
    assert add.status_code == 200 and 'name="include_confirmed"' in add.content.decode()
    job = jobs.request_export(ExportParams(), admin_user)
    jobs.run_job(job.pk)
    change = client.get(reverse("admin:reviews_exportjob_change", args=[job.pk]))
    assert change.status_code == 200 and "Download zip" in change.content.decode()


def test_the_run_again_admin_action_queues_the_job_again(
    decided_slip, admin_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.request_export(ExportParams(), None)
    ExportJob.objects.filter(pk=job.pk).update(counts={})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:reviews_exportjob_changelist"),
            {"action": "run_again", "_selected_action": [job.pk]},
            follow=True,
        )
    assert "queued again" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.counts["exported"] == 2
