"""Corrections exports asked for in the admin: queued after commit, run by a worker, zipped.

The export itself is reviews.export; this module only runs it as a job (idempotent claim, a re-run
replaces the archive) and keeps the zip under MEDIA_ROOT for the staff-only download view.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ocr_review.tasking import enqueue_on_commit

from .export import ExportParams, export_corrections
from .models import ExportJob

log = logging.getLogger(__name__)


ARCHIVES = "exports"  # folder of the archives in the default storage (never served publicly)


def work_root() -> Path:
    """Local scratch space of the worker that builds an export; the zip then goes to storage."""
    return Path(settings.VAR_DIR) / "export-work"


def request_export(params: ExportParams, user) -> ExportJob:
    return queue_job(ExportJob(params=params.to_json(), created_by=user))


def queue_job(job: ExportJob) -> ExportJob:
    """Save the job as queued and hand it to a worker once the transaction commits."""
    with transaction.atomic():
        job.status = ExportJob.Status.QUEUED
        job.error = ""
        job.finished_at = None
        job.save()
        enqueue_on_commit(
            "reviews.tasks.run_export_job", job.pk, queue="background", group="exports"
        )
    return job


def run_job(job_id: int) -> str:
    """Run one export job; a second delivery of the same task does nothing, a re-run replaces
    the archive. A job left running by a dead worker is taken again after the task timeout."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.Q_TIMEOUT_S)
    claimed = (
        ExportJob.objects.filter(pk=job_id)
        .filter(
            Q(status=ExportJob.Status.QUEUED)
            | Q(status=ExportJob.Status.RUNNING, started_at__lt=stale)
        )
        .update(status=ExportJob.Status.RUNNING, started_at=now, error="")
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.get(pk=job_id)
    work = work_root() / f"job-{job.pk}"
    try:
        shutil.rmtree(work, ignore_errors=True)
        result = export_corrections(ExportParams.from_json(job.params), work)
        archive = _store_zip(work, f"corrections-{job.pk}")
    except Exception as exc:
        log.exception("corrections export %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )
        return "failed"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        archive=archive,
        counts=result.counts,
        finished_at=timezone.now(),
    )
    return "done"


def archive_exists(job: ExportJob) -> bool:
    return (
        job.status == ExportJob.Status.DONE
        and bool(job.archive)
        and (default_storage.exists(job.archive))
    )


def open_archive(job: ExportJob) -> IO[bytes] | None:
    """The job's zip from the default storage (a shared folder or an object store), or None."""
    if not archive_exists(job):
        return None
    return default_storage.open(job.archive, "rb")


def _store_zip(folder: Path, name: str) -> str:
    """Zip ``folder`` into the default storage as ARCHIVES/<name>.zip (replacing an earlier one);
    returns the stored name."""
    with tempfile.TemporaryFile() as fh:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{name}/{path.relative_to(folder)}")
        fh.seek(0)
        target = f"{ARCHIVES}/{name}.zip"
        if default_storage.exists(target):
            default_storage.delete(target)
        return default_storage.save(target, File(fh))
