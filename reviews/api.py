"""The review queue for external review tools: the same reviews.services as the review page."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from documents.api.permissions import IsReviewer
from documents.api.views.base import NOT_FOUND, THROTTLED, UNAUTHORIZED, ApiView, error
from documents.models import Field

from . import services
from .exceptions import LeaseLost
from .models import Claim
from .serializers import (
    DecisionResultSerializer,
    DecisionSerializer,
    HeartbeatResultSerializer,
    ReleaseResultSerializer,
    ReviewFieldSerializer,
    ReviewNextSerializer,
)

NOT_A_REVIEWER = error(
    "Only clerks and supervisors review.",
    "not_a_reviewer",
    "Only clerks and supervisors may review fields.",
)
LEASE_LOST = error(
    "The caller no longer holds the field (lease expired, released or taken).",
    "lease_lost",
    "Your hold on this field expired or was released; it may be with another clerk now.",
)
FIELD_EXAMPLE = {
    "id": 501,
    "key": "id_number",
    "label": "身份证号",
    "kind": "id_number",
    "value": "11010519491231002X",
    "raw_text": "11010519491231002X",
    "confidence": 0.71,
    "status": "needs_review",
    "review_reasons": [{"code": "low_confidence", "message": "Confidence 0.71 < 0.90"}],
    "box": [310, 402, 620, 444],
    "page": 0,
    "model_version": {"kind": "numeric", "name": "shipped-5e6f7a8b", "sha256": "5e6f…"},
    "version": 1,
    "document": 42,
    "document_type": "loan_application",
    "page_image_url": "https://ocr.bank.internal/api/v1/documents/42/pages/0/image",
    "lease_expires_at": "2025-03-01T09:33:00+08:00",
}


def _field(pk: int) -> Field:
    return get_object_or_404(
        Field.objects.select_related(
            "spec", "page", "model_version", "document__document_type", "claim"
        ),
        pk=pk,
    )


class ReviewView(ApiView):
    permission_classes = [IsReviewer]
    parser_classes = [JSONParser]


class ReviewNextView(ReviewView):
    @extend_schema(
        operation_id="review_next",
        tags=["review"],
        summary="Claim the next field to review",
        description=(
            "Claims the field you already hold, else the oldest free one, with a lease of "
            "REVIEW_LEASE_S seconds (keep it with /heartbeat). 204 when the queue is empty. "
            "Optional filters narrow the queue."
        ),
        request=ReviewNextSerializer,
        responses={
            200: ReviewFieldSerializer,
            204: OpenApiResponse(description="Nothing left to review."),
            400: error("A filter is not valid.", "invalid", "kind: colour is not a valid choice."),
            401: UNAUTHORIZED,
            403: NOT_A_REVIEWER,
            429: THROTTLED,
        },
        examples=[
            OpenApiExample("Any field", value={}, request_only=True),
            OpenApiExample(
                "Only ID numbers of loan forms",
                value={"document_type": "loan_application", "kind": "id_number"},
                request_only=True,
            ),
            OpenApiExample("Claimed", value=FIELD_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request):
        filters = ReviewNextSerializer(data=request.data or {})
        filters.is_valid(raise_exception=True)
        field = services.claim_next(request.user, **filters.validated_data)
        if field is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ReviewFieldSerializer(_field(field.pk), context={"request": request}).data)


class DecisionView(ReviewView):
    @extend_schema(
        operation_id="review_decide",
        tags=["review"],
        summary="Accept or correct a claimed field",
        description=(
            "Send the value you read and the field's `version`. The same value confirms it, "
            "another corrects it. A value that still breaks a rule needs `override_reason`."
        ),
        request=DecisionSerializer,
        responses={
            200: DecisionResultSerializer,
            400: error("The body did not validate.", "invalid", "version: required."),
            401: UNAUTHORIZED,
            403: NOT_A_REVIEWER,
            404: NOT_FOUND,
            409: LEASE_LOST,
            422: error(
                "The value still breaks a rule; resend with override_reason to accept it.",
                "rules_still_fail",
                "The value still breaks a rule: ID number checksum does not match",
            ),
            429: THROTTLED,
        },
        examples=[
            OpenApiExample(
                "Correct a value",
                value={"value": "110105194912310021", "version": 1, "seconds": 6.5},
                request_only=True,
            ),
            OpenApiExample(
                "Decided",
                value={"status": "corrected", "document_completed": True, "version": 2},
                response_only=True,
            ),
        ],
    )
    def post(self, request, pk: int):
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _field(pk)
        decision = services.decide(
            pk,
            request.user,
            body.validated_data["value"],
            version=body.validated_data["version"],
            seconds=body.validated_data["seconds"],
            override_reason=body.validated_data["override_reason"],
        )
        return Response(
            DecisionResultSerializer(
                {
                    "status": decision.status,
                    "document_completed": decision.document_completed,
                    "version": decision.field.version,
                }
            ).data
        )


class HeartbeatView(ReviewView):
    @extend_schema(
        operation_id="review_heartbeat",
        tags=["review"],
        summary="Keep your lease on a field",
        request=None,
        responses={
            200: HeartbeatResultSerializer,
            401: UNAUTHORIZED,
            403: NOT_A_REVIEWER,
            404: NOT_FOUND,
            409: LEASE_LOST,
            429: THROTTLED,
        },
        examples=[
            OpenApiExample(
                "Extended",
                value={"alive": True, "lease_expires_at": "2025-03-01T09:36:00+08:00"},
                response_only=True,
            )
        ],
    )
    def post(self, request, pk: int):
        _field(pk)
        if not services.heartbeat(pk, request.user):
            raise LeaseLost(
                "Your hold on this field expired or was released; claim the next field."
            )
        claim = Claim.objects.get(field_id=pk)
        return Response(
            HeartbeatResultSerializer({"alive": True, "lease_expires_at": claim.locked_until}).data
        )


class ReleaseView(ReviewView):
    @extend_schema(
        operation_id="review_release",
        tags=["review"],
        summary="Give a field back to the queue",
        request=None,
        responses={
            200: ReleaseResultSerializer,
            401: UNAUTHORIZED,
            403: NOT_A_REVIEWER,
            404: NOT_FOUND,
            429: THROTTLED,
        },
        examples=[OpenApiExample("Released", value={"released": True}, response_only=True)],
    )
    def post(self, request, pk: int):
        _field(pk)
        services.release(pk, request.user)
        return Response(ReleaseResultSerializer({"released": True}).data)
