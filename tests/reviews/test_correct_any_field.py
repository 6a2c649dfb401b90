"""A clerk corrects any field from the document page, auto-accepted ones included, through the same
leased, audited decision; the integrator hears document.updated; whole-document review walks
every field in form order."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.api import tokens
from documents.models import Document, Event, Field, WebhookEvent
from reviews import services
from reviews.exceptions import NotUnderReview
from reviews.models import Claim
from tests.factories import document_with_fields

S = Field.Status


@pytest.fixture
def completed_slip(demo_types, settings):
    settings.OCR_TASKS_SYNC = False
    doc = document_with_fields(
        demo_types["bank_slip"],
        {"payer_name": ("张伟", 0.99, []), "amount": ("8,650.00", 0.99, [])},
        status=Document.Status.COMPLETED,
    )
    client, _token = tokens.create_client("erp", type_codes=("bank_slip",))
    Document.objects.filter(pk=doc.pk).update(
        api_client=client, callback_url="https://erp.example.com/hook"
    )
    return doc


def test_an_auto_accepted_field_is_corrected_through_the_lease_and_audited(
    completed_slip, clerk, django_capture_on_commit_callbacks
):
    field = completed_slip.fields.get(spec__key="amount")
    with pytest.raises(NotUnderReview):
        services.claim(field.pk, clerk)
    services.claim(field.pk, clerk, correcting=True)
    with django_capture_on_commit_callbacks(execute=False):
        decision = services.decide(field.pk, clerk, "8,650.50", version=field.version)
    assert decision.status == S.CORRECTED
    field.refresh_from_db()
    assert (field.value, field.status) == ("8,650.50", S.CORRECTED)
    event = Event.objects.get(field=field, kind="field_corrected")
    assert event.before["status"] == S.AUTO_ACCEPTED and event.actor == clerk
    assert (
        WebhookEvent.objects.filter(document=completed_slip, type="document.updated").count() == 1
    )


def test_without_the_lease_a_decided_field_stays_refused(completed_slip, clerk):
    field = completed_slip.fields.get(spec__key="amount")
    with pytest.raises(NotUnderReview):
        services.decide(field.pk, clerk, "1.00", version=field.version)


def test_the_document_page_offers_correct_and_whole_document_review(client, clerk, completed_slip):
    client.force_login(clerk)
    page = client.get(completed_slip.get_absolute_url()).content.decode()
    assert "?correct=1" in page and f"?walk={completed_slip.pk}" in page
    field = completed_slip.fields.get(spec__key="amount")
    review = client.get(reverse("review-field", args=[field.pk]) + "?correct=1").content.decode()
    assert 'id="decide-form"' in review, "an accepted field opens for correction"


def test_whole_document_review_walks_every_field_in_order(client, clerk, completed_slip):
    client.force_login(clerk)
    ordered = list(completed_slip.fields.order_by("spec__order", "id").values_list("pk", flat=True))
    first = client.get(reverse("review-field", args=[ordered[0]]) + f"?walk={completed_slip.pk}")
    assert first.status_code == 200
    step = client.post(reverse("review-next"), {"walk": completed_slip.pk, "after": ordered[0]})
    assert step["Location"].endswith(f"/fields/{ordered[1]}/?walk={completed_slip.pk}")
    done = client.post(reverse("review-next"), {"walk": completed_slip.pk, "after": ordered[-1]})
    assert done["Location"] == completed_slip.get_absolute_url()


def test_walking_a_decided_field_unchanged_writes_nothing(
    completed_slip, clerk, django_capture_on_commit_callbacks
):
    """Enter on each field of a completed document: a decision left as it was is no new decision
    (no version, no audit event, no document.updated for the integrator); the hold is given up."""
    field = completed_slip.fields.get(spec__key="amount")
    services.claim(field.pk, clerk, correcting=True)
    with django_capture_on_commit_callbacks(execute=False):
        services.decide(field.pk, clerk, "8,650.50", version=field.version)
    field.refresh_from_db()
    events, hooks = Event.objects.count(), WebhookEvent.objects.count()
    services.claim(field.pk, clerk, correcting=True)
    with django_capture_on_commit_callbacks(execute=False):
        decision = services.decide(field.pk, clerk, " 8,650.50 ", version=field.version)
    assert decision.status == S.CORRECTED
    assert Field.objects.get(pk=field.pk).version == field.version
    assert (Event.objects.count(), WebhookEvent.objects.count()) == (events, hooks)
    assert Claim.objects.get(field=field).user is None, "the hold was given back"


@pytest.mark.parametrize("status", [Document.Status.QUEUED, Document.Status.PROCESSING])
def test_a_document_being_read_again_cannot_be_corrected_meanwhile(
    completed_slip, clerk, client, status
):
    """A worker storing its result leaves a leased field alone: a correction opened during a
    re-run would make the worker drop that field's new reading."""
    Document.objects.filter(pk=completed_slip.pk).update(status=status)
    field = completed_slip.fields.get(spec__key="amount")
    with pytest.raises(NotUnderReview, match="being read again"):
        services.claim(field.pk, clerk, correcting=True)
    client.force_login(clerk)
    page = client.get(reverse("review-field", args=[field.pk]) + "?correct=1")
    assert page.status_code == 302 and page["Location"] == reverse("queue")
