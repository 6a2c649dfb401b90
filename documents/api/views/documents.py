"""Submit documents, follow their status, read their fields and page images."""

from __future__ import annotations

import re

import django_filters
from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from documents import services
from documents.models import Document, Page
from documents.serializers import (
    DocumentSerializer,
    DocumentSummarySerializer,
    status_url,
    with_details,
)

from ..errors import InvalidIdempotencyKey, MissingFile
from ..permissions import api_client_of, visible_documents
from ..serializers import (
    JsonSubmissionSerializer,
    MultipartSubmissionSerializer,
    SubmissionResultSerializer,
)
from .base import (
    EXAMPLE_PNG_BASE64,
    FORBIDDEN,
    NOT_FOUND,
    THROTTLED,
    UNAUTHORIZED,
    ApiMixin,
    ApiView,
    decode_base64,
    error,
    refuse_large_body,
)

_IDEMPOTENCY_KEY = re.compile(r"[\x20-\x7e]{1,128}")

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string up to 128 characters (a UUID, or your own record id). Retrying with "
        "the same key returns the first document instead of making a new one; the same file "
        "sent again for the same type is recognised by its sha256 even without a key."
    ),
)


class DocumentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Document.Status.choices)
    document_type = django_filters.CharFilter(
        field_name="document_type__code", help_text="Document type code."
    )
    external_id = django_filters.CharFilter(help_text="Your reference, exact match.")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Document
        fields = ["status", "document_type", "external_id", "created_after", "created_before"]


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return ""
    key = key.strip()
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidIdempotencyKey()
    return key


SUBMISSION_EXAMPLE = {
    "id": 42,
    "status": "queued",
    "status_url": "https://ocr.bank.internal/api/v1/documents/42/",
    "created": True,
}
DOCUMENT_EXAMPLE = {
    "id": 42,
    "status": "completed",
    "document_type": "bank_slip",
    "external_id": "loan-2024-0001",
    "original_name": "slip.jpg",
    "page_count": 1,
    "error": "",
    "created_at": "2025-03-01T09:30:00+08:00",
    "processed_at": "2025-03-01T09:30:04+08:00",
    "completed_at": "2025-03-01T09:30:04+08:00",
    "status_url": "https://ocr.bank.internal/api/v1/documents/42/",
    "source": "api",
    "content_type": "image/jpeg",
    "size": 183204,
    "sha256": "9f2c…",
    "attempts": 1,
    "processing_started_at": "2025-03-01T09:30:01+08:00",
    "updated_at": "2025-03-01T09:30:04+08:00",
    "model_versions": {
        "general": {"id": 3, "name": "shipped-1a2b3c4d", "sha256": "1a2b…"},
        "numeric": {"id": 4, "name": "shipped-5e6f7a8b", "sha256": "5e6f…"},
    },
    "timings": {"render_s": 0.21, "lines_s": 0.35, "read_s": 1.9},
    "pages": [
        {
            "index": 0,
            "width": 1240,
            "height": 1754,
            "image_url": "https://ocr.bank.internal/api/v1/documents/42/pages/0/image",
        }
    ],
    "fields": [
        {
            "id": 501,
            "key": "amount",
            "label": "金额",
            "kind": "amount",
            "value": "12500.00",
            "raw_text": "¥12,500.00",
            "confidence": 0.987,
            "status": "auto_accepted",
            "review_reasons": [],
            "box": [310, 402, 620, 444],
            "page": 0,
            "model_version": {"kind": "numeric", "name": "shipped-5e6f7a8b", "sha256": "5e6f…"},
            "version": 1,
        }
    ],
}


class DocumentListCreateView(ApiMixin, generics.ListAPIView):
    serializer_class = DocumentSummarySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilter
    pagination_class = ApiPagination
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self):
        return visible_documents(self.request).select_related("document_type")

    @extend_schema(
        operation_id="documents_list",
        tags=["documents"],
        summary="List your documents",
        description="Newest first, 50 a page (`page_size` up to 200).",
        responses={
            200: DocumentSummarySerializer(many=True),
            400: error(
                "A filter value is not valid.",
                "invalid",
                "status: Select a valid choice. lost is not one of the available choices.",
            ),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: error("The page number is past the last page.", "not_found", "Invalid page."),
            429: THROTTLED,
        },
        examples=[
            OpenApiExample(
                "A page of documents",
                value={k: DOCUMENT_EXAMPLE[k] for k in DocumentSummarySerializer.Meta.fields},
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="documents_submit",
        tags=["documents"],
        summary="Submit a document for recognition",
        description=(
            "Multipart with `file`, or JSON with `image_base64`. Answers 202 at once; follow "
            "`status_url` or wait for the webhook at `callback_url`. A retry with the same "
            "`Idempotency-Key`, or the same file for the same type, answers 202 with the first "
            "document and `created: false`."
        ),
        parameters=[IDEMPOTENCY_HEADER],
        request={
            "multipart/form-data": MultipartSubmissionSerializer,
            "application/json": JsonSubmissionSerializer,
        },
        responses={
            202: SubmissionResultSerializer,
            400: error(
                "The file or a field is not acceptable.",
                "corrupt_file",
                "The image is damaged or truncated and cannot be read.",
            ),
            401: UNAUTHORIZED,
            403: error(
                "The client may not submit this document type.",
                "document_type_not_allowed",
                "This API client may not submit 'vat_invoice' documents.",
            ),
            413: error(
                "The file is too large, has too many pages or pixels.",
                "file_too_large",
                "The file is 31.2 MB; the limit is 26 MB.",
            ),
            415: error(
                "Not a JPG, PNG, BMP, TIFF or PDF (or not multipart/JSON).",
                "unsupported_media_type",
                "This is not a JPG, PNG, BMP, TIFF or PDF file.",
            ),
            422: error(
                "The Idempotency-Key was used before for another file.",
                "idempotency_key_reused",
                "The Idempotency-Key 'k1' was already used for document 41 with a different "
                "file or document type.",
            ),
            429: THROTTLED,
        },
        examples=[
            OpenApiExample(
                "JSON submission",
                value={
                    "document_type": "bank_slip",
                    "image_base64": EXAMPLE_PNG_BASE64,
                    "file_name": "slip.png",
                    "external_id": "loan-2024-0001",
                    "callback_url": "https://loans.bank.internal/ocr-hook",
                },
                request_only=True,
                media_type="application/json",
            ),
            OpenApiExample(
                "Multipart submission",
                value={"document_type": "bank_slip", "external_id": "loan-2024-0001"},
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample("Accepted", value=SUBMISSION_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, *args, **kwargs):
        refuse_large_body(request, settings.OCR_MAX_UPLOAD_BYTES)
        key = _idempotency_key(request)
        if request.content_type.startswith("multipart/"):
            multipart = MultipartSubmissionSerializer(data=request.data)
            if "file" not in request.FILES:
                raise MissingFile()
            multipart.is_valid(raise_exception=True)
            fields = multipart.validated_data
            upload = fields["file"]
            data, name = upload.read(), upload.name
        else:
            as_json = JsonSubmissionSerializer(data=request.data)
            as_json.is_valid(raise_exception=True)
            fields = as_json.validated_data
            data = decode_base64(fields["image_base64"])
            name = fields["file_name"]
        client = api_client_of(request)
        if fields["callback_url"] and client is None:
            raise ValidationError(
                {
                    "callback_url": _(
                        "Webhooks are signed with an API client's secret: submit with a token "
                        "to use callback_url."
                    )
                }
            )
        result = services.ingest(
            data,
            name=name,
            document_type=fields["document_type"],
            user=request.user,
            source=Document.Source.API,
            external_id=fields["external_id"],
            api_client=client,
            idempotency_key=key,
            callback_url=fields["callback_url"],
        )
        document = result.document
        body = {
            "id": document.pk,
            "status": document.status,
            "status_url": status_url(document.pk, request),
            "created": result.created,
        }
        return Response(
            SubmissionResultSerializer(body).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": str(body["status_url"])},
        )


class DocumentDetailView(ApiMixin, generics.RetrieveAPIView):
    serializer_class = DocumentSerializer

    def get_queryset(self):
        return with_details(visible_documents(self.request))

    @extend_schema(
        operation_id="documents_retrieve",
        tags=["documents"],
        summary="Status, pages and fields of one document",
        responses={
            200: DocumentSerializer,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        examples=[OpenApiExample("A completed bank slip", value=DOCUMENT_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class JpegRenderer(BaseRenderer):
    media_type = "image/jpeg"
    format = "jpg"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach a renderer here (images go out as FileResponse): keep them JSON.
        return JSONRenderer().render(data)


class PageImageView(ApiView):
    renderer_classes = [JSONRenderer, JpegRenderer]

    @extend_schema(
        operation_id="documents_page_image",
        tags=["documents"],
        summary="One page of a document as JPEG",
        responses={
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The page."),
            401: UNAUTHORIZED,
            404: NOT_FOUND,
            429: THROTTLED,
        },
    )
    def get(self, request, pk: int, index: int):
        page = get_object_or_404(
            Page.objects.filter(document__in=visible_documents(request)),
            document_id=pk,
            index=index,
        )
        try:
            handle = page.image.open("rb")
        except (FileNotFoundError, ValueError):
            raise NotFound(_("The page image is missing.")) from None
        response = FileResponse(handle, content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response
