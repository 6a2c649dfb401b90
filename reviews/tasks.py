"""django-q2 tasks of the review app: thin wrappers that take ids and call domain code."""

from __future__ import annotations

from .jobs import run_job


def run_export_job(job_id: int) -> str:
    return run_job(job_id)
