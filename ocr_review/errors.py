"""One JSON error shape for every JSON endpoint, pages and API alike:

``{"code": machine_code, "detail": message for a person, ...context}``

Domain errors (intake, review) derive from :class:`DomainError`, which carries its code and HTTP
status; :func:`json_error` (plain Django views) and ``ocr_review.api_errors.exception_handler``
(DRF) map them the same way. This module does not import DRF: queue workers import the domain
errors, and DRF's import alone loads psycopg, requests and django.test (about 20 MB a worker).
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse


class DomainError(Exception):
    """A refusal with a stable machine code, an HTTP status and a message a person understands."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


def json_error(code: str, detail: str, status: int, **extra: Any) -> JsonResponse:
    return JsonResponse(error_body(code, str(detail), **extra), status=status)


def json_domain_error(exc: DomainError, **extra: Any) -> JsonResponse:
    return json_error(exc.code, exc.message, exc.http_status, **exc.detail, **extra)
