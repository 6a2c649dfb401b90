from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import Schedule

# (schedule name, task, every N minutes, what it does)
PERIODIC = (
    (
        "documents-watchdog",
        "processing.tasks.run_watchdog",
        2,
        "watchdog: requeue or fail documents stuck in processing",
    ),
    (
        "webhooks-deliver-due",
        "documents.tasks.run_due_webhooks",
        1,
        "webhook retries whose time has come",
    ),
)


class Command(BaseCommand):
    help = (
        "Register the periodic tasks: the watchdog that requeues or fails documents stuck in "
        "processing, and the sweeper that retries webhook deliveries whose time has come."
    )

    def handle(self, *args, **opts) -> None:
        for name, func, minutes, purpose in PERIODIC:
            Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
            )
            self.stdout.write(f"{purpose}: every {minutes} min")
