from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from documents import webhooks
from documents.models import WebhookEvent


class Command(BaseCommand):
    help = "Send a webhook event again now, with the same event id and body."

    def add_arguments(self, parser) -> None:
        parser.add_argument("event_id", help="the event's UUID (X-OCR-Event-Id)")

    def handle(self, *args, **opts) -> None:
        try:
            event = WebhookEvent.objects.get(event_id=uuid.UUID(opts["event_id"]))
        except (ValueError, WebhookEvent.DoesNotExist):
            raise CommandError(f"no webhook event {opts['event_id']!r}") from None
        if not webhooks.replay(event, enqueue=False):
            raise CommandError("a delivery of this event is in progress; try again shortly")
        outcome = webhooks.deliver(event.pk, manual=True)
        event.refresh_from_db()
        self.stdout.write(f"{event.event_id}: {outcome} (status {event.status})")
