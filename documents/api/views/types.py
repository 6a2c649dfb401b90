"""Document types and their field specs: what a client may submit and which fields come back."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics

from documents.models import DocumentType

from ..permissions import visible_types
from ..serializers import DocumentTypeSerializer
from .base import FORBIDDEN, NOT_FOUND, THROTTLED, UNAUTHORIZED, ApiMixin

TYPE_EXAMPLE = {
    "code": "bank_slip",
    "name": "Bank deposit slip",
    "description": "Counter deposit slip",
    "confidence_threshold": 0.9,
    "fields": [
        {
            "key": "amount",
            "label": "金额",
            "label_aliases": ["金额(小写)"],
            "kind": "amount",
            "required": True,
            "threshold": 0.95,
            "order": 3,
        }
    ],
}


class TypeQuerysetMixin(ApiMixin, generics.GenericAPIView):
    serializer_class = DocumentTypeSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[DocumentType]:
        return visible_types(self.request).prefetch_related("fields__document_type")


class DocumentTypeListView(TypeQuerysetMixin, generics.ListAPIView):
    @extend_schema(
        operation_id="document_types_list",
        tags=["document-types"],
        summary="Document types you may submit, with their fields",
        responses={
            200: DocumentTypeSerializer(many=True),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            429: THROTTLED,
        },
        examples=[OpenApiExample("Bank slip", value=TYPE_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DocumentTypeDetailView(TypeQuerysetMixin, generics.RetrieveAPIView):
    lookup_field = "code"

    @extend_schema(
        operation_id="document_types_retrieve",
        tags=["document-types"],
        summary="One document type with its fields",
        responses={
            200: DocumentTypeSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        examples=[OpenApiExample("Bank slip", value=TYPE_EXAMPLE, response_only=True)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
