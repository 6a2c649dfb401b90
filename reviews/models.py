"""Leases on fields under review: who holds a field and until when."""

from __future__ import annotations

from django.conf import settings
from django.db import models

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
