"""DRF's EXCEPTION_HANDLER: every API error in the shape of ``ocr_review.errors``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from ocr_review.errors import DomainError, error_body


def _flatten(errors: Any, prefix: str = "") -> list[tuple[str, str]]:
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


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every API error in the one shape above."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, **exc.detail), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = "; ".join(f"{f}: {m}" if f else m for f, m in _flatten(errors))
        return Response(error_body("invalid", message, errors=errors), status=exc.status_code)
    response = drf_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        code = getattr(getattr(exc, "detail", None), "code", None)
        response.data["code"] = code or getattr(exc, "default_code", "error")
    return response
