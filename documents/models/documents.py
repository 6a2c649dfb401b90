"""What intake and recognition make of each upload: documents, pages, lines, fields, events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .types import DocumentType, FieldSpec


class Document(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    class Source(models.TextChoices):
        WEB = "web", _("Web upload")
        API = "api", _("API")
        DEMO = "demo", _("Demo data")

    file = models.FileField(upload_to="uploads/%Y/%m/")
    sha256 = models.CharField(max_length=64, db_index=True)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="documents"
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.WEB)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_documents",
    )
    external_id = models.CharField(max_length=128, blank=True, db_index=True)
    api_client = models.ForeignKey(
        "ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text=_("The upstream system that submitted the document through the API."),
    )
    idempotency_key = models.CharField(
        max_length=128,
        blank=True,
        db_index=True,
        help_text=_("The Idempotency-Key header of the submission: a retry returns this document."),
    )
    callback_url = models.URLField(
        max_length=500,
        blank=True,
        help_text=_("Receives a signed webhook when the document is completed or fails."),
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    page_count = models.PositiveSmallIntegerField(default=0)
    model_versions = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    # Set when the watchdog queued a waiting document again; cleared when a worker claims it, so
    # a long queue is never flooded with copies of the same task.
    watchdog_requeued_at = models.DateTimeField(null=True, blank=True, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One document per file and type for the bank's own uploads, and one per file, type
            # and API client for upstream systems: two systems sending the same bill each get
            # their own document, status and webhooks, and never see each other's.
            models.UniqueConstraint(
                fields=["document_type", "sha256"],
                condition=models.Q(api_client__isnull=True),
                name="uniq_file_per_type",
            ),
            models.UniqueConstraint(
                fields=["api_client", "document_type", "sha256"],
                condition=models.Q(api_client__isnull=False),
                name="uniq_file_per_type_per_client",
            ),
            models.UniqueConstraint(
                fields=["api_client", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="uniq_idempotency_key_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("document-detail", args=[self.pk])


class Page(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    index = models.PositiveSmallIntegerField()
    image = models.ImageField(upload_to="pages/%Y/%m/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    skew_angle = models.FloatField(default=0.0)

    class Meta:
        ordering = ["document", "index"]
        constraints = [
            models.UniqueConstraint(fields=["document", "index"], name="uniq_page_index")
        ]

    def __str__(self) -> str:
        return f"page {self.index + 1} of #{self.document_id}"


class TextLine(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="lines")
    order = models.PositiveIntegerField()
    box = models.JSONField()  # [x0, y0, x1, y1] in page pixels
    text = models.TextField(blank=True)
    confidence = models.FloatField()

    class Meta:
        ordering = ["page", "order"]

    def __str__(self) -> str:
        return self.text


class Field(models.Model):
    class Status(models.TextChoices):
        AUTO_ACCEPTED = "auto_accepted", _("Auto-accepted")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        CORRECTED = "corrected", _("Corrected")
        CONFIRMED = "confirmed", _("Confirmed")

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="fields")
    spec = models.ForeignKey(FieldSpec, on_delete=models.PROTECT, related_name="+")
    page = models.ForeignKey(
        Page, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    box = models.JSONField(null=True, blank=True)  # [x0, y0, x1, y1] in page pixels
    raw_text = models.TextField(blank=True)  # what the model read, before cleaning
    value = models.TextField(blank=True)  # cleaned (rules check this), or a clerk's value
    # The rules' canonical form of the value read (1234.50, 2024-03-07, upper-case codes).
    normalized = models.TextField(blank=True)
    confidence = models.FloatField(default=0.0)
    char_confidences = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    review_reasons = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey(
        "recognition.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fields",
    )
    version = models.PositiveIntegerField(default=1)  # bumped on every change: stale saves fail
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["document", "spec__order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "spec"], name="uniq_field_per_document")
        ]

    def __str__(self) -> str:
        return f"{self.spec.key}={self.value!r}"

    @property
    def box_width(self) -> int:
        return self.box[2] - self.box[0] if self.box else 0

    @property
    def box_height(self) -> int:
        return self.box[3] - self.box[1] if self.box else 0

    @property
    def reason_codes(self) -> list[str]:
        return [r.get("code", "") for r in self.review_reasons]

    @property
    def awaiting_second_check(self) -> bool:
        """Waits for a blind second check (documents.second_checks): pages then hide what would
        tell the clerk it was accepted automatically, such as its confidence."""
        return self.status == self.Status.NEEDS_REVIEW and self.reason_codes == ["second_check"]


# Statuses a clerk gave a field: a re-run keeps them.
HUMAN_DECIDED = (Field.Status.CONFIRMED, Field.Status.CORRECTED)


class Event(models.Model):
    """Append-only audit trail of documents and fields."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="events")
    field = models.ForeignKey(
        Field, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    field_key = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.document_id}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValueError("events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("events are append-only")
