"""Document types and the fields each expects (configured by admins)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from documents.rules import validate_config
from documents.rules.cleaning import validate_cleaning
from documents.rules.location import parse_layout, parse_location


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    NAME = "name", _("Person name")
    COMPANY = "company", _("Company name")
    ADDRESS = "address", _("Address")
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
    layout = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Sections, frame and layout variants the field locations refer to, e.g. "
            '{"frame": "table", "sections": {"buyer": ["购买方", "购"], "seller": ["销售方", '
            '"销"]}, "variants": [{"name": "digital", "anchors": ["统一社会信用代码"]}]}. '
            "A section holds the lines nearer its anchor than any other section's; a page takes "
            "the variant whose anchors it shows most."
        ),
    )

    class LineFinder(models.TextChoices):
        AUTO = "auto", _("Automatic: the text detector for phone photos, the line finder otherwise")
        LINES = "lines", _("Line finder (fast; best on scans and PDFs)")
        DETECTOR = "detector", _("Text detector (best on phone photos; about 2 s of CPU a page)")
        HYBRID = "hybrid", _("Both (the detector, plus lines it missed)")

    line_finder = models.CharField(
        max_length=16,
        choices=LineFinder.choices,
        default=LineFinder.AUTO,
        help_text=_(
            "How a page's text lines are found. Measured on the sample pages "
            "(bench/results/line-recall.md): the line finder finds more lines on scans, "
            "PaddleOCR's PP-OCRv6 text detector more on phone photos. Automatic tells a photo "
            "by the camera data (exposure, focal length) a phone writes into the file."
        ),
    )
    second_check_rate = models.FloatField(
        default=0.02,
        help_text=_(
            "Share of auto-accepted fields (0-1) sent to a blind second check by a clerk, who is "
            "not told they were accepted; measures the automation's real error rate."
        ),
    )
    second_check_first_documents = models.PositiveIntegerField(
        default=20,
        help_text=_(
            "Every auto-accepted field of the first this-many documents a new model version "
            "reads for this type is checked as well."
        ),
    )
    target_error_rate = models.FloatField(
        default=0.003,
        help_text=_(
            "Highest acceptable share of wrong auto-accepted fields (0-1); the dashboard warns "
            "when the measured rate is above it."
        ),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        for name in ("confidence_threshold", "second_check_rate", "target_error_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValidationError({name: _("Use a value between 0 and 1.")})
        try:
            parse_layout(self.layout or {})
        except ValueError as exc:
            raise ValidationError({"layout": str(exc)}) from exc


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
    location = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "How to find the value, when next to its label is not enough, e.g. "
            '{"section": "seller"}, {"occurrence": 2}, {"value": {"side": "right", "column": '
            '["金额"]}}, {"by": "region", "region": {"frame": "table", "box": [0.6, 0, 1, 0.2]}}, '
            '{"by": "pattern", "pattern": "\\d{2}/\\d{2}/\\d{4}"}, {"by": "after", "after": '
            '"company", "until": ["TEL"], "value": {"lines": 3}}; "fallback" lists other '
            'locations to try, "variants" one per layout variant.'
        ),
    )
    cleaning = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Cleaning steps applied to the reading before the rules, e.g. "
            '["strip_symbols", "amount"], ["credit_code"], [{"op": "remove", "pattern": '
            '"\\(\\d+-[A-Z]\\)$"}]. Steps: strip_symbols, strip_label, words_only, amount, '
            "credit_code, digits_only, no_spaces, upper, extract, remove."
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
        try:
            validate_config(self.rules or {})
        except ValueError as exc:
            raise ValidationError({"rules": str(exc)}) from exc
        for name, check in (
            ("location", parse_location),
            ("cleaning", validate_cleaning),
        ):
            try:
                check(getattr(self, name) or None)
            except ValueError as exc:
                raise ValidationError({name: str(exc)}) from exc
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
