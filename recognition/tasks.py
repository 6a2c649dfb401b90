"""django-q2 tasks of the model registry: thin wrappers that take ids and call registry code."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)


def enqueue_evaluation(version_id: int) -> None:
    """Score a version on the fixed evaluation set in a worker, after the current commit."""
    from django_q.tasks import async_task

    transaction.on_commit(
        lambda: async_task(
            "recognition.tasks.evaluate_version",
            version_id,
            group="model-evaluation",
            sync=settings.OCR_TASKS_SYNC,
        )
    )


def evaluate_version(version_id: int) -> dict | None:
    """Idempotent: a second delivery scores the same lines again and stores the same figures."""
    from . import registry
    from .models import ModelVersion

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    return registry.evaluate_version(version, registry.heldout_dir(version.kind))
