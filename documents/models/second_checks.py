"""Blind second checks: auto-accepted fields sampled for a clerk to read again, so the error rate
of what reaches the bank unreviewed is measured, not assumed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import Field
from .types import DocumentType


class SecondCheck(models.Model):
    class Reason(models.TextChoices):
        SAMPLE = "sample", _("Random sample")
        NEW_MODEL = "new_model", _("First documents of a new model version")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for a clerk")
        AGREED = "agreed", _("Clerk agreed")
        CORRECTED = "corrected", _("Clerk corrected it")

    field = models.OneToOneField(Field, on_delete=models.CASCADE, related_name="second_check")
    # Copied from the field when sampled: the figures group by them even after a re-run.
    document_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="+")
    field_kind = models.CharField(max_length=32)
    model_version = models.ForeignKey(
        "recognition.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="second_checks",
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    accepted_value = models.TextField(blank=True, help_text=_("The value accepted automatically."))
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    checked_value = models.TextField(blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("second check")

    def __str__(self) -> str:
        return f"second check of field {self.field_id} ({self.outcome})"
