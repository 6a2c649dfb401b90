"""Why a model version could not be registered, activated or rolled back."""

from __future__ import annotations

from ocr_review.errors import DomainError


class RegistryError(DomainError):
    code = "model_registry_error"
    http_status = 409


class ActivationRefused(RegistryError):
    """The candidate is worse than the active version on the fixed evaluation set (or the person
    asking may not override that)."""

    code = "activation_refused"

    def __init__(self, message: str, *, gate=None) -> None:
        super().__init__(message, gate=gate)
        self.gate = gate


class ModelUnavailable(RegistryError):
    """The active model's file is missing, damaged or replaced: this process reads nothing."""

    code = "model_unavailable"
    http_status = 503


class NotEvaluated(RegistryError):
    """The gate needs figures on the fixed evaluation set that have not been computed yet."""

    code = "not_evaluated"
