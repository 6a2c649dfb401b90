from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import Schedule


class Command(BaseCommand):
    help = (
        "Register the periodic tasks: the watchdog that requeues or fails documents stuck in "
        "processing, and the sweeper that retries webhook deliveries whose time has come."
    )

    def handle(self, *args, **opts) -> None:
        Schedule.objects.update_or_create(
            name="documents-watchdog",
            defaults={
                "func": "documents.tasks.watchdog",
                "schedule_type": Schedule.MINUTES,
                "minutes": 2,
                "repeats": -1,
            },
        )
        self.stdout.write("watchdog scheduled every 2 minutes")
        Schedule.objects.update_or_create(
            name="webhooks-deliver-due",
            defaults={
                "func": "documents.webhooks.deliver_due",
                "schedule_type": Schedule.MINUTES,
                "minutes": 1,
                "repeats": -1,
            },
        )
        self.stdout.write("webhook retries swept every minute")
