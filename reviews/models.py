"""Leases on fields under review (who holds a field and until when), and corrections exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.models import Field


class Claim(models.Model):
    """A clerk's lease on one field. Expired or released claims leave the field to the queue."""

    field = models.OneToOneField(
        Field, on_delete=models.CASCADE, primary_key=True, related_name="claim"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="claims",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "locked_until"])]

    def __str__(self) -> str:
        return f"{self.field_id} held by {self.user_id} until {self.locked_until}"


class ExportJob(models.Model):
    """A corrections export asked for in the admin, run by a worker (never in the request)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    params = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    archive = models.CharField(
        max_length=500, blank=True, help_text=_("Zip of the export, relative to MEDIA_ROOT.")
    )
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("corrections export")

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.status})"
