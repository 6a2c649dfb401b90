"""django-q2 tasks of the review app: thin wrappers that take ids and call domain code."""

from __future__ import annotations


def export_corrections(job_id: int) -> str:
    from .jobs import run_job

    return run_job(job_id)
