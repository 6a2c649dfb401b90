"""The one way to hand work to the django-q2 cluster.

Tasks are named by dotted path, never imported here, so domain code can queue work done by a layer
above it (``processing.tasks``) without an import pointing upwards.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone


def enqueue_on_commit(
    task: str, *args: Any, queue: str, group: str, name: str | None = None, robust: bool = False
) -> None:
    """Queue ``task(*args)`` on ``queue`` once the current transaction commits (at once outside
    one).

    Never before the commit: a worker would not see the rows the caller just wrote, or would see
    them stale. ``queue`` is a key of settings.Q_QUEUES (recognition, webhooks, background), each
    served by its own cluster; ``group`` groups results in the admin; ``name`` prefixes the task's
    name there (a timestamp keeps it unique). ``robust``: a broker that cannot take the task is
    logged, not raised, for callers whose committed rows a sweep queues again (the watchdog).
    """
    from django_q.tasks import async_task

    cluster = settings.Q_QUEUES[queue]
    task_name = f"{name}-{timezone.now():%H%M%S%f}" if name else None
    transaction.on_commit(
        lambda: async_task(
            task,
            *args,
            task_name=task_name,
            group=group,
            cluster=cluster,
            sync=settings.OCR_TASKS_SYNC,
        ),
        robust=robust,
    )
