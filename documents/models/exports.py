"""Exports of documents' results (CSV or Excel) too large to build in the request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentExport(models.Model):
    """One export asked for on the documents list, run by a worker (documents.export_jobs)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.CSV)
    # The documents as selected when the export was asked for: later arrivals are not added.
    document_ids = models.JSONField(default=list, blank=True)
    # The asker's language, for the header row written by the worker.
    language = models.CharField(max_length=16, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.CharField(
        max_length=500, blank=True, help_text=_("The export in the default storage.")
    )
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("documents export")

    def __str__(self) -> str:
        return f"documents export #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0

    @property
    def filename(self) -> str:
        return f"documents-{self.pk}.{self.format}"
