"""Why a review decision was refused; each maps to a clear message and an HTTP status."""

from __future__ import annotations

from ocr_review.errors import DomainError


class ReviewError(DomainError):
    code = "review_error"
    http_status = 409


class LeaseLost(ReviewError):
    """The clerk no longer holds the field (lease expired and taken, or force-released)."""

    code = "lease_lost"


class StaleVersion(ReviewError):
    """Someone changed the field since the clerk loaded it."""

    code = "stale_version"


class NotUnderReview(ReviewError):
    code = "not_under_review"


class RulesStillFail(ReviewError):
    """The corrected value still breaks a rule; the clerk may override with a reason."""

    code = "rules_still_fail"
    http_status = 422
