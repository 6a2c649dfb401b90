"""Document types with their field specs, and what intake and recognition make of each upload."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NAME = "name", _("Person name")
    ID_NUMBER = "id_number", _("Resident ID number")
    AMOUNT = "amount", _("Amount (figures)")
    AMOUNT_IN_WORDS = "amount_in_words", _("Amount in Chinese capitals")
    DATE = "date", _("Date")
    ACCOUNT = "account", _("Account / card number")
    PHONE = "phone", _("Phone number")
    CREDIT_CODE = "credit_code", _("Unified social credit code")
    NUMBER = "number", _("Document number (digits)")


# Kinds read by the numeric model (digits, X, ¥, separators, 年月日元); the rest by the general one.
NUMERIC_KINDS = frozenset(
    {
        FieldKind.ID_NUMBER,
        FieldKind.AMOUNT,
        FieldKind.DATE,
        FieldKind.ACCOUNT,
        FieldKind.PHONE,
        FieldKind.NUMBER,
    }
)


class DocumentType(models.Model):
    code = models.SlugField(unique=True, help_text=_("Stable identifier used by the API."))
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    confidence_threshold = models.FloatField(
        default=0.90,
        help_text=_(
            "Fields read with lower confidence go to a clerk (0-1; per-field override possible)."
        ),
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        if not 0 <= self.confidence_threshold <= 1:
            raise ValidationError({"confidence_threshold": _("Use a value between 0 and 1.")})


class FieldSpec(models.Model):
    document_type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=64, help_text=_("Name of the field in exports and the API."))
    label = models.CharField(
        max_length=120, help_text=_("Label printed on the bill, e.g. 客户姓名.")
    )
    label_aliases = models.JSONField(
        default=list,
        blank=True,
        help_text=_('Other spellings of the label, as a JSON list: ["姓名", "户名"].'),
    )
    kind = models.CharField(max_length=32, choices=FieldKind.choices, default=FieldKind.TEXT)
    region = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "Where the value lies, when found by position instead of its label: "
            '{"page": 0, "box": [x0, y0, x1, y1]} with coordinates relative to the page '
            "(0-1). Leave empty to find the value next to its label."
        ),
    )
    required = models.BooleanField(default=True)
    rules = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            'Extra rules as JSON, e.g. {"rules": [{"rule": "regex", "pattern": '
            '"^\\\\d{8}$", "message": "8 digits"}, {"rule": "length", "min": 8, "max": 8}, '
            '{"rule": "amount_in_words", "matches": "amount"}]}. The kind brings its own '
            "checks (ID checksum, amount format, date, credit code)."
        ),
    )
    threshold = models.FloatField(
        null=True, blank=True, help_text=_("Overrides the document type's confidence threshold.")
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["document_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document_type", "key"], name="uniq_field_key_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.document_type.code}.{self.key}"

    @property
    def effective_threshold(self) -> float:
        return (
            self.threshold
            if self.threshold is not None
            else self.document_type.confidence_threshold
        )

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def clean(self) -> None:
        from .rules import validate_config

        try:
            validate_config(self.rules or {})
        except ValueError as exc:
            raise ValidationError({"rules": str(exc)}) from exc
        if self.region:
            box = self.region.get("box") if isinstance(self.region, dict) else None
            if (
                not isinstance(box, list)
                or len(box) != 4
                or not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in box)
                or box[0] >= box[2]
                or box[1] >= box[3]
            ):
                raise ValidationError(
                    {"region": _('Use {"page": 0, "box": [x0, y0, x1, y1]} with 0 ≤ x0 < x1 ≤ 1.')}
                )
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise ValidationError({"threshold": _("Use a value between 0 and 1.")})


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
    raw_text = models.TextField(blank=True)
    value = models.TextField(blank=True)
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
