"""The document as JSON: what the API returns and what webhooks carry (one representation)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from documents.models import Document, DocumentType, Field, FieldKind, Page
from documents.reasons import reason_text


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
    # API field names that shadow Serializer attributes the stubs know (errors, label, fields).
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Per-field messages when the request body did not validate."
    )


# -- documents -------------------------------------------------------------------------------------


class ModelVersionRefSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    sha256 = serializers.CharField()


class UsedModelSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, help_text="The model version; null for the fast first reader."
    )
    name = serializers.CharField()
    sha256 = serializers.CharField()
    min_confidence = serializers.FloatField(
        required=False,
        help_text="Fast first reader only: lines it read under this went to the general model.",
    )


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. low_confidence, id_checksum, missing.")
    message = serializers.SerializerMethodField(
        help_text="The reason in the request's language (Accept-Language: en or zh-hans)."
    )
    params = serializers.DictField(
        child=serializers.CharField(),
        default=dict,
        help_text="The values the message names (e.g. expected, read), for your own wording.",
    )

    def get_message(self, reason: dict) -> str:
        return reason_text(reason)


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
    label = serializers.CharField(source="spec.label")  # type: ignore[assignment]
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
            "normalized",
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
            "value": {
                "help_text": "The value: the reading after cleaning (printed label, stray marks "
                "such as ⊗ and currency signs cut off), which the rules checked; a clerk's "
                "value once confirmed or corrected."
            },
            "normalized": {
                "read_only": True,
                "help_text": "The value as recognised, in its canonical form (amounts 1234.50, "
                "dates YYYY-MM-DD, codes in upper case); the value itself where the kind has no "
                "canonical form.",
            },
            "raw_text": {"help_text": "What the OCR model read, before cleaning."},
            "confidence": {"help_text": "0-1, see recognition.engine.ctc.greedy_decode."},
            "version": {"help_text": "Bumped on every change; send it back with a decision."},
        }


class DocumentSummarySerializer(serializers.ModelSerializer):
    document_type: serializers.SlugRelatedField[DocumentType] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
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
    fields = FieldSerializer(many=True, read_only=True)  # type: ignore[assignment]
    model_versions = serializers.DictField(
        child=UsedModelSerializer(),
        read_only=True,
        help_text='Models that read the document, by kind: {"general": {...}, "numeric": {...}, '
        '"fast": {...}}; "fast" read the page lines first (those under its min_confidence were '
        "read again by the general model).",
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
