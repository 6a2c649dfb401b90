"""django-q2 tasks of the documents app: thin wrappers that take ids and call domain code."""

from __future__ import annotations

from typing import Any

from . import webhooks


def run_webhook_delivery(event_pk: int, manual: bool = False) -> str:
    return webhooks.deliver(event_pk, manual)


def run_due_webhooks() -> dict[str, Any]:
    return webhooks.deliver_due()


def run_purge() -> dict[str, Any]:
    from dataclasses import asdict

    from .retention import RetentionPolicy, purge

    return asdict(purge(RetentionPolicy.from_settings()))


def run_document_export(job_id: int) -> str:
    from .export_jobs import run_export

    return run_export(job_id)
