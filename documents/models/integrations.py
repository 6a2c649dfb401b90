"""Upstream systems: API clients with their tokens, and the webhook outbox."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .documents import Document
from .types import DocumentType


def _webhook_secret() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class ApiClient(models.Model):
    """An upstream system calling the REST API with its own token.

    Only a prefix (for lookup) and the sha256 of the token are stored; the token itself is shown
    once, when it is issued (admin or ``manage.py create_api_client``).
    """

    name = models.CharField(max_length=120, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        help_text=_(
            "Requests run as this user: a service user of its own, or a clerk's user for a "
            "review tool acting for that clerk."
        ),
    )
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    allowed_types = models.ManyToManyField(
        DocumentType,
        blank=True,
        related_name="api_clients",
        help_text=_("Document types this client may submit and read. None selected: none."),
    )
    active = models.BooleanField(
        default=True, help_text=_("Untick to revoke: the token stops working at once.")
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    webhook_secret = models.CharField(
        max_length=128,
        default=_webhook_secret,
        help_text=_("Signs webhooks (HMAC-SHA256); the client keeps a copy to check them."),
    )
    throttle_rate = models.CharField(
        max_length=16,
        blank=True,
        help_text=_('Requests allowed, e.g. "120/min" or "5000/hour". Empty: the default rate.'),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        import re

        if self.throttle_rate and not re.fullmatch(
            r"\d+/(s|sec|second|m|min|minute|h|hour|d|day)", self.throttle_rate
        ):
            raise ValidationError({"throttle_rate": _('Use a rate like "120/min" or "10/s".')})

    def allows(self, document_type: DocumentType) -> bool:
        return self.allowed_types.filter(pk=document_type.pk).exists()


class WebhookEvent(models.Model):
    """Transactional outbox: written with the status change, delivered after the commit."""

    class Type(models.TextChoices):
        COMPLETED = "document.completed", _("Document completed")
        FAILED = "document.failed", _("Document failed")
        REOPENED = "document.reopened", _("Document reopened")
        UPDATED = "document.updated", _("Document updated (a field corrected)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    event_id = models.UUIDField(unique=True, editable=False)
    type = models.CharField(max_length=32, choices=Type.choices)
    document = models.ForeignKey(
        Document, null=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    client = models.ForeignKey(
        ApiClient, null=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    url = models.URLField(max_length=500)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook event")

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    """One attempt to deliver a webhook event: what the receiver answered, or why it failed."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveSmallIntegerField()
    manual = models.BooleanField(default=False, help_text=_("Part of a manual replay."))
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_snippet = models.TextField(blank=True)
    error = models.TextField(blank=True)
    success = models.BooleanField(default=False)

    class Meta:
        ordering = ["event", "started_at", "id"]
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"attempt {self.attempt} of {self.event_id}: {self.status_code or self.error[:40]}"
