from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.models import Schedule

# (schedule name, task, queue that runs it, every N minutes, what it does)
PERIODIC = (
    (
        "documents-watchdog",
        "processing.tasks.run_watchdog",
        "recognition",
        2,
        "watchdog: requeue or fail documents stuck in processing",
    ),
    (
        "retention-purge",
        "documents.tasks.run_purge",
        "background",
        24 * 60,
        "retention: purge closed documents, events and webhooks past their keeping time",
    ),
    (
        "webhooks-deliver-due",
        "documents.tasks.run_due_webhooks",
        "webhooks",
        1,
        "webhook retries whose time has come",
    ),
)


class Command(BaseCommand):
    help = (
        "Register the periodic tasks: the watchdog that requeues or fails documents stuck in "
        "processing, and the sweeper that retries webhook deliveries whose time has come."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        for name, func, queue, minutes, purpose in PERIODIC:
            Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "cluster": settings.Q_QUEUES[queue],
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            self.stdout.write(f"{purpose}: every {minutes} min on the {queue} queue")
