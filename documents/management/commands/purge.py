"""Delete what the retention settings no longer keep (documents.retention).

``manage.py purge --dry-run -v 2`` says what would go, document by document; ``manage.py purge``
deletes it (run it daily, e.g. from cron).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from documents import retention


class Command(BaseCommand):
    help = (
        "Delete closed documents (with their files), audit events and finished webhook rows "
        "older than OCR_RETAIN_DOCUMENTS_DAYS / OCR_RETAIN_EVENTS_DAYS / OCR_RETAIN_WEBHOOKS_DAYS "
        "(0: kept forever). Open documents are never purged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, verbosity: int = 1, **options: Any) -> None:
        policy = retention.RetentionPolicy.from_settings()
        todo = retention.plan(policy)
        rows = (
            ("documents", "OCR_RETAIN_DOCUMENTS_DAYS", policy.documents_days, todo.documents),
            ("events", "OCR_RETAIN_EVENTS_DAYS", policy.events_days, todo.events),
            ("webhooks", "OCR_RETAIN_WEBHOOKS_DAYS", policy.webhooks_days, todo.webhooks),
        )
        for what, setting, _days, queryset in rows:
            if queryset is None:
                self.stdout.write(f"{what}: kept forever ({setting}=0)")
        if dry_run:
            self._say_what_would_go(todo, verbosity)
            return
        done = retention.purge(policy)
        self.stdout.write(
            self.style.SUCCESS(
                f"deleted {done.documents} document(s) with {done.files} file(s), "
                f"{done.events} event(s), {done.webhooks} webhook event(s)"
            )
        )

    def _say_what_would_go(self, todo: retention.PurgePlan, verbosity: int) -> None:
        if todo.documents is not None:
            documents = todo.documents.select_related("document_type").order_by("pk")
            self.stdout.write(f"would delete {documents.count()} document(s) with their files")
            if verbosity > 1:
                for doc in documents.iterator():
                    self.stdout.write(f"  {retention.describe(doc)}")
        if todo.events is not None:
            self.stdout.write(f"would delete {todo.events.count()} audit event(s)")
        if todo.webhooks is not None:
            self.stdout.write(f"would delete {todo.webhooks.count()} webhook event(s)")
