"""Refusals only the API meets; mapped to the one error shape by ocr_review.errors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status


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
