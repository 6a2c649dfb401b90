"""The one hook documents.transitions calls when a document is completed, fails or is reopened.

It writes the webhook to the outbox inside the caller's transaction, so the event exists if and
only if the status change committed, and delivery is queued after that commit.
"""

from __future__ import annotations

import uuid

from django.utils import timezone

from . import webhooks
from .models import Document, WebhookEvent

_EVENT_TYPES: dict[str, WebhookEvent.Type] = {
    Document.Status.COMPLETED: WebhookEvent.Type.COMPLETED,
    Document.Status.FAILED: WebhookEvent.Type.FAILED,
}


def document_changed(
    document: Document, event_type: WebhookEvent.Type | None = None
) -> WebhookEvent | None:
    """Outbox row for ``document`` in its new state (or for ``event_type``, e.g. reopened), if its
    submitter gave a callback URL."""
    event_type = event_type or _EVENT_TYPES.get(document.status)
    if event_type is None or not document.callback_url or document.api_client_id is None:
        return None
    # Imported here: a queue worker completes documents without callbacks too, and DRF's import
    # alone costs a worker about 20 MB (ocr_review.errors).
    from .serializers import DocumentSerializer, with_details

    event_id = uuid.uuid4()
    now = timezone.now()
    payload = {
        "event_id": str(event_id),
        "type": event_type.value,
        "created_at": now.isoformat(),
        "document": DocumentSerializer(
            with_details(Document.objects.all()).get(pk=document.pk)
        ).data,
    }
    event = WebhookEvent.objects.create(
        event_id=event_id,
        type=event_type,
        document=document,
        client_id=document.api_client_id,
        url=document.callback_url,
        payload=payload,
        next_attempt_at=now,
    )
    webhooks.enqueue_delivery(event.pk)
    return event
