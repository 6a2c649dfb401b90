"""Every API error is ``{"code": machine_code, "detail": human message}`` (plus context).

Intake errors are mapped by documents.api_errors (the project's DRF exception handler); this
adds what only the API meets: review refusals, 404/403 raised by Django, field validation.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from documents.api_errors import exception_handler as base_handler
from reviews.exceptions import ReviewError


class ApiError(exceptions.APIException):
    """An API-level refusal with its own code (the domain ones live in <app>/exceptions.py)."""


class InvalidBase64(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_base64"
    default_detail = _("image_base64 is not valid base64.")


class MissingFile(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "no_file"
    default_detail = _("Send the file as multipart 'file', or as JSON 'image_base64'.")


class ImageIsAPage(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "image_is_a_page"


class ModelUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "model_unavailable"


class InvalidIdempotencyKey(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_idempotency_key"
    default_detail = _("The Idempotency-Key header must be 1 to 128 printable ASCII characters.")


def _flatten(errors, prefix: str = "") -> list[tuple[str, str]]:
    """(field, message) of every error in a DRF ValidationError detail, nested fields dotted."""
    out: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
    elif isinstance(errors, list):
        for value in errors:
            out += _flatten(value, prefix)
    else:
        out.append((prefix, str(errors)))
    return out


def exception_handler(exc, context) -> Response | None:
    if isinstance(exc, ReviewError):
        body = {"code": exc.code, "detail": exc.message, **exc.detail}
        return Response(body, status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        problems = _flatten(errors)
        return Response(
            {
                "code": "invalid",
                "detail": "; ".join(f"{f}: {m}" if f else m for f, m in problems),
                "errors": errors,
            },
            status=exc.status_code,
        )
    response = base_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        code = getattr(exc.detail, "code", None)
        if isinstance(response.data, dict) and code:
            response.data["code"] = code
    return response
