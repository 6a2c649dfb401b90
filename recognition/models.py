"""Registry of recognition model versions: which checkpoint reads which fields."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ModelVersion(models.Model):
    class Kind(models.TextChoices):
        NUMERIC = "numeric", _("Numeric fields")
        GENERAL = "general", _("General text")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=80)
    checkpoint = models.CharField(
        max_length=500,
        help_text=_(
            "Path of the model file workers serve (relative to the weights folder or absolute): "
            "an ONNX file (ONNX Runtime, no torch) or a CRNN checkpoint."
        ),
    )
    sha256 = models.CharField(max_length=64, db_index=True)
    training_checkpoint = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("The PyTorch checkpoint the served file was exported from, for fine-tuning."),
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    training_data = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(active=True), name="one_active_version_per_kind"
            ),
            models.UniqueConstraint(fields=["kind", "sha256"], name="uniq_checkpoint_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name} ({self.sha256[:10]})"

    def metric(self, name: str, key: str = "exact") -> float | None:
        """One figure of ``metrics[name]`` ("heldout", "validation", "training"), or None."""
        block = (self.metrics or {}).get(name)
        value = block.get(key) if isinstance(block, dict) else None
        return value if isinstance(value, (int, float)) else None


class ModelActivation(models.Model):
    """Append-only record of every switch of the active version: who, why, the gate figures."""

    class Action(models.TextChoices):
        ACTIVATE = "activate", _("Activated (gate passed)")
        OVERRIDE = "override", _("Activated by override (gate failed)")
        ROLLBACK = "rollback", _("Rolled back")

    kind = models.CharField(max_length=16, choices=ModelVersion.Kind.choices)
    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="activations")
    previous = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    gate = models.JSONField(default=dict, blank=True)
    override_reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.version} by {self.actor or '—'}"
