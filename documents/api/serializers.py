"""What the API reads and writes. The document JSON here is also the payload of webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from documents.models import Document, DocumentType, Field, FieldKind, FieldSpec, Page


def absolute_url(path: str, request=None) -> str:
    """A link for the caller: absolute from the request, else from API_BASE_URL (webhooks)."""
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.API_BASE_URL}{path}"


def status_url(document_id: int, request=None) -> str:
    return absolute_url(reverse("api:document-detail", args=[document_id]), request)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. file_too_large.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages when the request body did not validate."
    )


# -- documents -------------------------------------------------------------------------------------


class ModelVersionRefSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    sha256 = serializers.CharField()


class UsedModelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. low_confidence, id_checksum, missing.")
    message = serializers.CharField(default="")


class PageSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Page
        fields = ["index", "width", "height", "image_url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_image_url(self, page: Page) -> str:
        path = reverse("api:document-page-image", args=[page.document_id, page.index])
        return absolute_url(path, self.context.get("request"))


class FieldSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="spec.key")
    label = serializers.CharField(source="spec.label")
    kind = serializers.ChoiceField(source="spec.kind", choices=FieldKind.choices)
    review_reasons = ReasonSerializer(many=True)
    box = serializers.ListField(
        child=serializers.IntegerField(),
        allow_null=True,
        min_length=4,
        max_length=4,
        help_text="[x0, y0, x1, y1] in pixels of its page image.",
    )
    page = serializers.IntegerField(
        source="page.index", allow_null=True, help_text="Index of the page the value was read on."
    )
    model_version = ModelVersionRefSerializer(allow_null=True)

    class Meta:
        model = Field
        fields = [
            "id",
            "key",
            "label",
            "kind",
            "value",
            "raw_text",
            "confidence",
            "status",
            "review_reasons",
            "box",
            "page",
            "model_version",
            "version",
        ]
        extra_kwargs = {
            "value": {"help_text": "The value after rules and any clerk correction."},
            "raw_text": {"help_text": "What the OCR model read, before normalisation."},
            "confidence": {"help_text": "0-1, see recognition.engine.ctc.greedy_decode."},
            "version": {"help_text": "Bumped on every change; send it back with a decision."},
        }


class DocumentSummarySerializer(serializers.ModelSerializer):
    document_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "status",
            "document_type",
            "external_id",
            "original_name",
            "page_count",
            "error",
            "created_at",
            "processed_at",
            "completed_at",
            "status_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_status_url(self, document: Document) -> str:
        return status_url(document.pk, self.context.get("request"))


def with_details(documents: QuerySet[Document]) -> QuerySet[Document]:
    """What DocumentSerializer reads, fetched in four queries instead of one per field."""
    return documents.select_related("document_type").prefetch_related(
        "pages",
        Prefetch(
            "fields",
            Field.objects.select_related("spec", "page", "model_version").order_by(
                "spec__order", "id"
            ),
        ),
    )


class DocumentSerializer(DocumentSummarySerializer):
    pages = PageSerializer(many=True, read_only=True)
    fields = FieldSerializer(many=True, read_only=True)
    model_versions = serializers.DictField(
        child=UsedModelSerializer(),
        read_only=True,
        help_text='Models that read the document, by kind: {"general": {...}, "numeric": {...}}.',
    )
    timings = serializers.DictField(
        child=serializers.FloatField(), read_only=True, help_text="Seconds spent per stage."
    )

    class Meta(DocumentSummarySerializer.Meta):
        fields = [
            *DocumentSummarySerializer.Meta.fields,
            "source",
            "content_type",
            "size",
            "sha256",
            "attempts",
            "processing_started_at",
            "updated_at",
            "model_versions",
            "timings",
            "pages",
            "fields",
        ]
        read_only_fields = fields


def _http_url(value: str) -> str:
    if value and not value.lower().startswith(("http://", "https://")):
        raise serializers.ValidationError("Use an http:// or https:// URL.")
    return value


class SubmissionFieldsSerializer(serializers.Serializer):
    document_type = serializers.SlugField(
        max_length=50, help_text="Code of the document type (GET /api/v1/document-types/)."
    )
    external_id = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your own reference; filter on it later.",
    )
    callback_url = serializers.URLField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        validators=[_http_url],
        help_text="Receives a signed POST when the document is completed or fails.",
    )


class MultipartSubmissionSerializer(SubmissionFieldsSerializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="JPG, PNG, BMP, TIFF or PDF (judged by its content)."
    )


class JsonSubmissionSerializer(SubmissionFieldsSerializer):
    image_base64 = serializers.CharField(
        help_text="The file, base64-encoded (a data: URL prefix is accepted).",
        trim_whitespace=True,
    )
    file_name = serializers.CharField(max_length=200, required=False, default="upload")


class SubmissionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Document.Status.choices)
    status_url = serializers.URLField()
    created = serializers.BooleanField(
        help_text="False when this repeats an earlier submission (same Idempotency-Key or file)."
    )


# -- document types --------------------------------------------------------------------------------


class FieldSpecSerializer(serializers.ModelSerializer):
    threshold = serializers.FloatField(
        source="effective_threshold", help_text="Confidence below which a clerk checks the value."
    )

    class Meta:
        model = FieldSpec
        fields = ["key", "label", "label_aliases", "kind", "required", "threshold", "order"]
        read_only_fields = fields


class DocumentTypeSerializer(serializers.ModelSerializer):
    fields = FieldSpecSerializer(many=True, read_only=True)

    class Meta:
        model = DocumentType
        fields = ["code", "name", "description", "confidence_threshold", "fields"]
        read_only_fields = fields


# -- synchronous line recognition ------------------------------------------------------------------

MODEL_CHOICES = [("general", "general (Chinese + English)"), ("numeric", "numeric")]


class MultipartRecognizeSerializer(serializers.Serializer):
    image = serializers.FileField(
        allow_empty_file=True, help_text="One text line or field crop: JPG, PNG, BMP or TIFF."
    )
    model = serializers.ChoiceField(choices=MODEL_CHOICES, default="general")


class JsonRecognizeSerializer(serializers.Serializer):
    image_base64 = serializers.CharField(help_text="The image, base64-encoded.")
    model = serializers.ChoiceField(choices=MODEL_CHOICES, default="general")


class RecognizeResultSerializer(serializers.Serializer):
    success = serializers.BooleanField(help_text="True when some text was read.")
    text = serializers.CharField(allow_blank=True)
    confidence = serializers.FloatField(help_text="0-1, as defined by ctc.greedy_decode.")
    time_cost = serializers.FloatField(help_text="Seconds spent on the server.")
    model = ModelVersionRefSerializer()


# -- review ---------------------------------------------------------------------------------------


class ReviewNextSerializer(serializers.Serializer):
    document_type = serializers.CharField(max_length=50, required=False, default="")
    kind = serializers.ChoiceField(
        choices=[("", "any"), *FieldKind.choices], required=False, default=""
    )
    reason = serializers.CharField(max_length=64, required=False, default="")


class ReviewFieldSerializer(FieldSerializer):
    document = serializers.IntegerField(source="document_id")
    document_type = serializers.CharField(source="document.document_type.code")
    page_image_url = serializers.SerializerMethodField()
    lease_expires_at = serializers.DateTimeField(source="claim.locked_until", allow_null=True)

    class Meta(FieldSerializer.Meta):
        fields = [
            *FieldSerializer.Meta.fields,
            "document",
            "document_type",
            "page_image_url",
            "lease_expires_at",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_page_image_url(self, field: Field) -> str | None:
        if field.page is None:
            return None
        path = reverse("api:document-page-image", args=[field.document_id, field.page.index])
        return absolute_url(path, self.context.get("request"))


class DecisionSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=False)
    version = serializers.IntegerField(
        min_value=1, help_text="The field's version you reviewed (from /review/next)."
    )
    seconds = serializers.FloatField(
        required=False, allow_null=True, min_value=0, max_value=86400, default=None
    )
    override_reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Accept a value that still breaks a rule, saying why.",
    )


class DecisionResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Field.Status.choices)
    document_completed = serializers.BooleanField()
    version = serializers.IntegerField()


class HeartbeatResultSerializer(serializers.Serializer):
    alive = serializers.BooleanField()
    lease_expires_at = serializers.DateTimeField()


class ReleaseResultSerializer(serializers.Serializer):
    released = serializers.BooleanField()
