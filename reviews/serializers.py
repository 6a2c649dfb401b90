"""What the review API reads and writes."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from documents.models import Field, FieldKind
from documents.serializers import FieldSerializer, absolute_url


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
