"""What every API view shares: who may call, the per-client rate, the error format."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from documents.exceptions import FileTooLarge
from documents.request_size import refuse_large_content_length
from documents.serializers import ErrorSerializer
from ocr_review.errors import json_error

from ..errors import InvalidBase64
from ..permissions import CanUseApi
from ..throttling import ApiClientThrottle

# A 48x20 PNG with one dash: small enough for an example, valid enough to be accepted.
EXAMPLE_PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAADAAAAAUCAAAAADuVOF7AAAAJElEQVR42mP8z0AaYGIY1UADDSwQipGwyv+D1g+Mo2lp"
    "UGgAAMqmAyeIAHe6AAAAAElFTkSuQmCC"
)


class ApiMixin(APIView):
    """Put first among a view's bases (before DRF's generic views)."""

    permission_classes: Sequence[type[BasePermission]] = [CanUseApi]
    throttle_classes: Sequence[type[BaseThrottle]] = [ApiClientThrottle]

    def handle_exception(self, exc: Exception) -> Response:
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE when it is parsed, which would
        # surface as its HTML 400 page; API clients get the JSON 413 instead.
        if isinstance(exc, RequestDataTooBig):
            exc = FileTooLarge(
                _(
                    "The request is %(got).1f MB; a request is limited to %(max).1f MB. JSON "
                    "carries a file base64-encoded, a third larger: send large files as multipart."
                )
                % {
                    "got": int(self.request.META.get("CONTENT_LENGTH") or 0) / 1e6,
                    "max": (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / 1e6,
                }
            )
        return super().handle_exception(exc)


class ApiView(ApiMixin):
    pass


def refuse_large_body(request, max_file_bytes: int) -> None:
    """413 from the Content-Length alone, before a byte of an oversized body is parsed (the file
    may come base64-encoded in JSON: documents.request_size allows for it)."""
    refuse_large_content_length(request.META.get("CONTENT_LENGTH"), max_file_bytes)


def decode_base64(text: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidBase64() from None


def error(description: str, code: str, detail: str) -> OpenApiResponse:
    """An error response for the schema, with its example."""
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[OpenApiExample(code, value={"code": code, "detail": detail}, response_only=True)],
    )


UNAUTHORIZED = error(
    "No token, an unknown token, or a revoked one.",
    "token_revoked",
    "This API token has been revoked. Ask for a new one.",
)
FORBIDDEN = error(
    "The caller is neither an API client nor a clerk.",
    "not_allowed",
    "Only API clients, clerks and supervisors may use this API.",
)
NOT_FOUND = error("No such object among the caller's.", "not_found", "Not found.")
THROTTLED = error(
    "Too many requests; retry after the seconds in the Retry-After header.",
    "throttled",
    "Request was throttled. Expected available in 42 seconds.",
)


@csrf_exempt  # it changes nothing, and must answer JSON, not Django's CSRF page
def no_such_endpoint(request, *args, **kwargs) -> JsonResponse:
    """Unrouted paths under /api/v1/ answer in the API's error format, not Django's HTML page."""
    return json_error(
        "not_found",
        _("There is no API endpoint at %(path)s; see /api/docs/.") % {"path": request.path},
        404,
    )
