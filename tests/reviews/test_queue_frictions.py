"""Start reviewing follows the queue's filters, never hands a clerk a field they already have
open, keeps a skipped field away until the rest is done or the skip times out; the queue pages."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from reviews import services
from reviews.views import SKIPPED
from tests.factories import document_with_fields


@pytest.fixture
def two_types(demo_types):
    slip = document_with_fields(
        demo_types["bank_slip"],
        {"payer_name": ("张伟", 0.5, ["low_confidence"]), "amount": ("1.00", 0.5, ["low"])},
    )
    invoice = document_with_fields(
        demo_types["vat_invoice"], {"buyer_name": ("某公司", 0.5, ["low_confidence"])}
    )
    return slip, invoice


def _next(client, **filters):
    reply = client.post(reverse("review-next"), filters)
    assert reply.status_code == 302
    return reply["Location"]


def test_a_held_field_outside_the_filter_is_not_handed_out(client, clerk, two_types):
    slip, invoice = two_types
    held = services.claim(slip.fields.first().pk, clerk)
    assert services.claim_next(clerk, document_type="vat_invoice").document_id == invoice.pk
    assert services.claim_next(clerk).pk == held.pk, "without a filter the API gets its field back"


def test_start_reviewing_never_reopens_a_field_open_in_another_window(client, clerk, two_types):
    slip, _invoice = two_types
    client.force_login(clerk)
    first = _next(client)
    second = _next(client)
    assert first != second


def test_a_skipped_field_does_not_come_straight_back(client, clerk, two_types):
    client.force_login(clerk)
    opened = _next(client, document_type="bank_slip")
    pk = int(opened.split("/fields/")[1].split("/")[0])
    after_skip = client.post(reverse("review-skip", args=[pk]), {"document_type": "bank_slip"})
    other = int(after_skip["Location"].split("/fields/")[1].split("/")[0])
    assert other != pk
    services.release(other, clerk)
    session = client.session
    session[SKIPPED] = {str(pk): time.time(), str(other): time.time()}
    session.save()
    back = client.post(reverse("review-next"), {"document_type": "bank_slip"}, follow=True)
    assert "Only fields you skipped are left" in back.content.decode()


def test_a_skip_times_out(client, clerk, two_types, settings):
    settings.REVIEW_SKIP_S = 60
    client.force_login(clerk)
    session = client.session
    fields = list(two_types[0].fields.order_by("spec__order").values_list("pk", flat=True))
    session[SKIPPED] = {str(fields[0]): time.time() - 3600}
    session.save()
    assert f"/fields/{fields[0]}/" in _next(client, document_type="bank_slip")


def test_the_queue_is_paged(client, clerk, demo_types):
    for _ in range(26):
        document_with_fields(
            demo_types["bank_slip"],
            {"payer_name": ("张伟", 0.5, ["low"]), "amount": ("1.00", 0.5, ["low"])},
        )
    client.force_login(clerk)
    first = client.get(reverse("queue")).content.decode()
    assert "1 / 2" in first and "?page=2" in first
    assert client.get(reverse("queue"), {"page": 2}).status_code == 200


def test_a_field_opened_from_a_filtered_queue_keeps_the_filter(client, clerk, clerk2, two_types):
    slip, invoice = two_types
    client.force_login(clerk)
    queue = client.get(reverse("queue"), {"document_type": "bank_slip", "kind": ""})
    row = reverse("review-field", args=[slip.fields.first().pk]) + "?document_type=bank_slip"
    assert f'href="{row}"' in queue.content.decode()
    services.claim(slip.fields.last().pk, clerk2)  # another clerk's hold is not "left" for us
    page = client.get(row)
    assert page.context["filters"]["document_type"] == "bank_slip"
    assert page.context["queue_left"] == 0, "the bank slip's other field is held by clerk2"
    assert 'name="document_type" value="bank_slip"' in page.content.decode()


def test_a_document_being_read_again_leaves_the_queue_until_it_is_read(clerk, two_types):
    from documents.models import Document

    slip, invoice = two_types
    Document.objects.filter(pk=slip.pk).update(status=Document.Status.QUEUED)
    assert services.claim_next(clerk, document_type="bank_slip") is None
    assert services.claim_next(clerk).document_id == invoice.pk
    Document.objects.filter(pk=slip.pk).update(status=Document.Status.NEEDS_REVIEW)
    assert services.claim_next(clerk, document_type="bank_slip").document_id == slip.pk
