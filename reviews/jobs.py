"""Corrections exports asked for in the admin: queued after commit, run by a worker, zipped.

The export itself is reviews.export; this module only runs it as a job (idempotent claim, a re-run
replaces the archive) and keeps the zip under MEDIA_ROOT for the staff-only download view.
"""

from __future__ import annotations

import logging
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ocr_review.tasking import enqueue_on_commit
from recognition.engine.files import atomic_write

from .export import ExportParams, export_corrections
from .models import ExportJob

log = logging.getLogger(__name__)


def exports_root() -> Path:
    """Under MEDIA_ROOT: private (never served as static files), shared by every worker machine."""
    return Path(settings.MEDIA_ROOT) / "exports"


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
    work = exports_root() / f"job-{job.pk}"
    try:
        shutil.rmtree(work, ignore_errors=True)
        result = export_corrections(ExportParams.from_json(job.params), work)
        archive = _zip(work, exports_root() / f"corrections-{job.pk}.zip", f"corrections-{job.pk}")
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
        archive=str(archive.relative_to(settings.MEDIA_ROOT)),
        counts=result.counts,
        finished_at=timezone.now(),
    )
    return "done"


def archive_path(job: ExportJob) -> Path | None:
    if job.status != ExportJob.Status.DONE or not job.archive:
        return None
    path = Path(settings.MEDIA_ROOT) / job.archive
    return path if path.is_file() else None


def _zip(folder: Path, target: Path, prefix: str) -> Path:
    def write(fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{prefix}/{path.relative_to(folder)}")

    return atomic_write(target, write)
