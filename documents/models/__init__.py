"""Document types with their field specs, what intake and recognition make of each upload, and
the API clients and webhooks of upstream systems."""

from .documents import HUMAN_DECIDED, Document, Event, Field, Page, TextLine
from .exports import DocumentExport
from .integrations import ApiClient, WebhookDelivery, WebhookEvent, _webhook_secret
from .second_checks import SecondCheck
from .types import NUMERIC_KINDS, DocumentType, FieldKind, FieldSpec

__all__ = [
    "HUMAN_DECIDED",
    "NUMERIC_KINDS",
    "ApiClient",
    "Document",
    "DocumentExport",
    "DocumentType",
    "Event",
    "Field",
    "FieldKind",
    "FieldSpec",
    "Page",
    "SecondCheck",
    "TextLine",
    "WebhookDelivery",
    "WebhookEvent",
    "_webhook_secret",
]
