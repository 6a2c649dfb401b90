"""Synchronous recognition of one small image: a text line or a field crop.

The one place where OCR runs inside a web request, so it is kept small: the image is checked
(size, type, pixels, one line rather than a page) before the model is touched, its dimensions are
read from the header before a pixel is decoded, and the model is loaded once per process by
recognition.loader.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from PIL import Image
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from documents.files import (
    PDF,
    FileLimits,
    image_dimensions,
    render_pages,
    sniff_content_type,
    validate,
)
from recognition.engine.ink import read_around_seal
from recognition.engine.preprocess import colour_page

from ..crops import page_reason, size_reason
from ..errors import ImageIsAPage, MissingFile, ModelUnavailable
from ..serializers import (
    JsonRecognizeSerializer,
    MultipartRecognizeSerializer,
    RecognizeResultSerializer,
)
from .base import (
    EXAMPLE_PNG_BASE64,
    FORBIDDEN,
    THROTTLED,
    UNAUTHORIZED,
    ApiView,
    decode_base64,
    error,
    refuse_large_body,
)

log = logging.getLogger(__name__)
_USE_DOCUMENTS = "POST /api/v1/documents/"


def line_limits() -> FileLimits:
    return FileLimits(
        max_bytes=settings.API_RECOGNIZE_MAX_BYTES,
        max_pages=1,
        max_pixels=settings.OCR_MAX_IMAGE_PIXELS,
    )


def read_line_image(data: bytes) -> tuple[np.ndarray, Image.Image]:
    """The image as grayscale, and as decoded (its colour is needed only for a red seal check),
    or the IntakeError / ImageIsAPage that says why not.

    Its size is judged from the header first: an image over the pixel cap is refused (413
    ``image_too_large``) and one larger than a line is pointed to the documents endpoint, both
    before a pixel is decoded, so a small upload cannot make a web process unpack a huge image.
    """
    if sniff_content_type(data) == PDF:
        raise ImageIsAPage(
            _("This is a PDF. Send whole documents to %(url)s; this endpoint reads one line.")
            % {"url": _USE_DOCUMENTS}
        )
    limits = line_limits()
    _refuse_page(size_reason(*image_dimensions(data, limits)))
    content_type, _pages = validate(data, limits)
    image = render_pages(data, content_type, limits)[0]
    gray = np.asarray(image.convert("L"))
    _refuse_page(page_reason(gray))
    return gray, image


def _refuse_page(reason: str | None) -> None:
    if reason:
        raise ImageIsAPage(
            _(
                "This looks like a page, not one text line: %(reason)s. Send pages and whole "
                "documents to %(url)s, or crop the line first."
            )
            % {"reason": reason, "url": _USE_DOCUMENTS}
        )


class RecognizeView(ApiView):
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        operation_id="ocr_recognize",
        tags=["ocr"],
        summary="Read one text line or field crop now",
        description=(
            "For quick integrations: one image of at most 1 MB, 4000x400 pixels and about three "
            "lines of text, read at once by the `general` (Chinese + English) or `numeric` "
            "model. Whole pages and PDFs are refused with `image_is_a_page`: submit them to "
            "`POST /api/v1/documents/`. `success` is false when no text was found."
        ),
        request={
            "multipart/form-data": MultipartRecognizeSerializer,
            "application/json": JsonRecognizeSerializer,
        },
        responses={
            200: RecognizeResultSerializer,
            400: error(
                "Not a line image: a page, a PDF, empty, corrupt or bad base64.",
                "image_is_a_page",
                "This looks like a page, not one text line: it is 1240x1754 pixels (a line is "
                "at most 4000x400). Send pages and whole documents to POST /api/v1/documents/.",
            ),
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            413: error(
                "Over 1 MB (`file_too_large`), or an image whose header claims more pixels than "
                "the server's cap (`image_too_large`, refused before decoding), or a TIFF of "
                "several pages (`too_many_pages`).",
                "file_too_large",
                "The file is 2.1 MB; the limit is 1 MB.",
            ),
            415: error(
                "Not a JPG, PNG, BMP or TIFF image.",
                "unsupported_media_type",
                "This is not a JPG, PNG, BMP, TIFF or PDF file.",
            ),
            429: THROTTLED,
            503: error(
                "The recognition model is not installed or cannot be loaded.",
                "model_unavailable",
                "The general recognition model is not available on this server.",
            ),
        },
        examples=[
            OpenApiExample(
                "Numeric field crop",
                value={"image_base64": EXAMPLE_PNG_BASE64, "model": "numeric"},
                request_only=True,
                media_type="application/json",
            ),
            OpenApiExample(
                "Read",
                value={
                    "success": True,
                    "text": "¥12,500.00",
                    "confidence": 0.982,
                    "time_cost": 0.041,
                    "model": {"kind": "numeric", "name": "shipped-5e6f7a8b", "sha256": "5e6f…"},
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        started = time.perf_counter()
        refuse_large_body(request, settings.API_RECOGNIZE_MAX_BYTES)
        if request.content_type.startswith("multipart/"):
            if "image" not in request.FILES:
                raise MissingFile(_("Send the image as multipart 'image' or JSON 'image_base64'."))
            multipart = MultipartRecognizeSerializer(data=request.data)
            multipart.is_valid(raise_exception=True)
            fields = multipart.validated_data
            data = fields["image"].read()
        else:
            as_json = JsonRecognizeSerializer(data=request.data)
            as_json.is_valid(raise_exception=True)
            fields = as_json.validated_data
            data = decode_base64(fields["image_base64"])
        kind = fields["model"]
        gray, image = read_line_image(data)
        predictor, version = _predictor(kind)
        # Read in gray as the page pipeline reads value boxes; again around a red seal if unsure.
        decoded = read_around_seal(
            predictor, predictor.recognize_one(gray), lambda: colour_page(image)
        )
        result = {
            "success": bool(decoded.text),
            "text": decoded.text,
            "confidence": round(float(decoded.confidence), 4),
            "time_cost": round(time.perf_counter() - started, 4),
            "model": {"kind": kind, "name": version.name, "sha256": version.sha256},
        }
        return Response(RecognizeResultSerializer(result).data)


def _predictor(kind: str):
    # Imported here so web processes that never read a line never import torch.
    from recognition import loader
    from recognition.engine.checkpoint import CheckpointError

    try:
        return loader.active_predictor(kind)
    except (CheckpointError, RuntimeError, OSError) as exc:
        # The cause names server paths: it goes to the log, not to the caller.
        log.error("%s model unavailable for /ocr/recognize: %s", kind, exc)
        raise ModelUnavailable(
            _("The %(kind)s recognition model is not available on this server right now.")
            % {"kind": kind}
        ) from exc
