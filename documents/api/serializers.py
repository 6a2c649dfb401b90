"""What the API reads: submissions, document types and line recognition requests."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from documents import netguard
from documents.models import Document, DocumentType, FieldSpec
from documents.serializers import (
    ModelVersionRefSerializer,
)


def _callback_url(value: str) -> None:
    """http(s) only, and never an address webhooks may not reach (documents.netguard).

    A host name is not looked up here: its addresses can change, so they are checked at every
    delivery instead; IP literals and ``localhost`` are refused at once.
    """
    if not value:
        return
    try:
        target = netguard.parse_url(value)
        addresses = netguard.literal_addresses(target.host)
        if addresses:
            allowed = netguard.AllowList.parse(settings.API_WEBHOOK_ALLOWED_NETWORKS)
            netguard.check_addresses(target.host, addresses, allowed)
    except netguard.Refused as exc:
        raise serializers.ValidationError(str(exc)) from None


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
        validators=[_callback_url],
        help_text=(
            "Receives a signed POST when the document is completed or fails. A public http(s) "
            "address: private, loopback and link-local ones are refused unless the operator "
            "allows them."
        ),
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
    # The API's field name shadows Serializer.fields as the stubs know it.
    fields = FieldSpecSerializer(many=True, read_only=True)  # type: ignore[assignment]

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
