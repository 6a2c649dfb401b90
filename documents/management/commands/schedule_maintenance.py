from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import Schedule


class Command(BaseCommand):
    help = "Register the periodic watchdog that requeues or fails documents stuck in processing."

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
