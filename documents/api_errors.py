"""Maps domain errors to HTTP responses in one place (DRF's EXCEPTION_HANDLER)."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from .exceptions import IntakeError


def exception_handler(exc, context):
    if isinstance(exc, IntakeError):
        return Response({"code": exc.code, "detail": exc.message}, status=exc.http_status)
    response = drf_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        response.data["code"] = getattr(exc, "default_code", "error")
    return response
