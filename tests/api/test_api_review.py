"""The review API drives reviews.services like the review page: claims, decisions, leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from documents.models import Document, Event, Field
from reviews.models import Claim
from tests.api.callers import make_caller, session
from tests.factories import document_with_fields

pytestmark = pytest.mark.distributed

NEXT = "/api/v1/review/next"


def field_url(pk: int, action: str) -> str:
    return f"/api/v1/review/fields/{pk}/{action}"


@pytest.fixture
def slip(demo_types):
    return document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.99, []),
            "payer_account": ("6222020200112233445", 0.7, ["low_confidence"]),
        },
    )


def test_next_claims_the_oldest_field_with_what_a_reviewer_needs(slip, clerk):
    response = session(clerk).post(NEXT, {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "payer_name" and body["status"] == "needs_review"
    assert body["document"] == slip.pk and body["document_type"] == "bank_slip"
    assert body["version"] == 1 and body["box"] == [10, 10, 300, 40]
    assert body["page_image_url"].endswith(f"/api/v1/documents/{slip.pk}/pages/0/image")
    assert body["lease_expires_at"]
    assert Claim.objects.get(field_id=body["id"]).user == clerk


def test_second_clerk_gets_a_different_field(slip, clerk, clerk2):
    first = session(clerk).post(NEXT).json()["id"]
    second = session(clerk2).post(NEXT).json()["id"]
    assert first != second


def test_next_honours_filters(slip, clerk):
    body = session(clerk).post(NEXT, {"kind": "account"}, format="json").json()
    assert body["key"] == "payer_account"


def test_next_with_an_unknown_kind_is_400(slip, clerk):
    response = session(clerk).post(NEXT, {"kind": "colour"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_empty_queue_answers_204(clerk, demo_types):
    response = session(clerk).post(NEXT)
    assert response.status_code == 204 and not response.content


def test_confirming_the_last_open_fields_completes_the_document(slip, clerk):
    http = session(clerk)
    for _ in range(2):
        field = http.post(NEXT).json()
        response = http.post(
            field_url(field["id"], "decision"),
            {"value": field["value"], "version": field["version"], "seconds": 4.2},
            format="json",
        )
        assert response.status_code == 200, response.json()
    assert response.json() == {"status": "confirmed", "document_completed": True, "version": 2}
    assert Document.objects.get(pk=slip.pk).status == Document.Status.COMPLETED
    assert Event.objects.filter(kind="field_confirmed", actor=clerk).count() == 2


def test_correction_is_recorded_as_corrected(slip, clerk):
    http = session(clerk)
    field = http.post(NEXT).json()
    response = http.post(
        field_url(field["id"], "decision"), {"value": "李娜", "version": 1}, format="json"
    )
    assert response.json()["status"] == "corrected"
    assert Field.objects.get(pk=field["id"]).value == "李娜"


def test_stale_version_is_409_stale_version(slip, clerk):
    http = session(clerk)
    field = http.post(NEXT).json()
    Field.objects.filter(pk=field["id"]).update(version=5)
    response = http.post(
        field_url(field["id"], "decision"), {"value": "李娜", "version": 1}, format="json"
    )
    body = response.json()
    assert (response.status_code, body["code"]) == (409, "stale_version")
    assert body["current_version"] == 5


def test_value_that_still_breaks_a_rule_is_422_until_overridden(slip, clerk):
    http = session(clerk)
    field = http.post(NEXT, {"kind": "account"}, format="json").json()
    url = field_url(field["id"], "decision")
    refused = http.post(url, {"value": "12ab", "version": 1}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (422, "rules_still_fail")
    assert refused.json()["failures"]
    accepted = http.post(
        url, {"value": "12ab", "version": 1, "override_reason": "as printed"}, format="json"
    )
    assert accepted.status_code == 200


def test_deciding_without_holding_the_field_is_409_lease_lost(slip, clerk, clerk2):
    field = session(clerk).post(NEXT).json()
    response = session(clerk2).post(
        field_url(field["id"], "decision"), {"value": "x", "version": 1}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "lease_lost")


def test_deciding_a_decided_field_is_409_not_under_review(slip, clerk):
    amount = slip.fields.get(spec__key="amount")
    response = session(clerk).post(
        field_url(amount.pk, "decision"), {"value": "1", "version": 1}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "not_under_review")


def test_decision_without_a_version_is_400(slip, clerk):
    field = session(clerk).post(NEXT).json()
    response = session(clerk).post(
        field_url(field["id"], "decision"), {"value": "x"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()["errors"]


@pytest.mark.parametrize("action", ["decision", "heartbeat", "release"])
def test_unknown_field_is_404(clerk, db, action):
    response = session(clerk).post(
        field_url(999999, action), {"value": "", "version": 1}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_heartbeat_extends_a_live_lease_and_reports_a_lost_one(slip, clerk, clerk2):
    field = session(clerk).post(NEXT).json()
    Claim.objects.filter(field_id=field["id"]).update(
        locked_until=timezone.now() + timedelta(seconds=5)
    )
    alive = session(clerk).post(field_url(field["id"], "heartbeat"))
    assert alive.status_code == 200 and alive.json()["alive"] is True
    assert Claim.objects.get(field_id=field["id"]).locked_until > timezone.now() + timedelta(
        seconds=60
    )
    lost = session(clerk2).post(field_url(field["id"], "heartbeat"))
    assert (lost.status_code, lost.json()["code"]) == (409, "lease_lost")


def test_release_gives_the_field_to_the_next_clerk(slip, clerk, clerk2):
    field = session(clerk).post(NEXT).json()
    response = session(clerk).post(field_url(field["id"], "release"))
    assert response.json() == {"released": True}
    assert session(clerk2).post(NEXT).json()["id"] == field["id"]


def test_outsider_may_not_review(slip, outsider):
    response = session(outsider).post(NEXT)
    assert (response.status_code, response.json()["code"]) == (403, "not_a_reviewer")


def test_plain_api_client_may_not_review(slip, api_client):
    response = api_client.http().post(NEXT)
    assert (response.status_code, response.json()["code"]) == (403, "not_a_reviewer")


def test_review_tool_token_bound_to_a_clerk_reviews_as_that_clerk(slip, clerk):
    tool = make_caller("review-tool", types=(), user=clerk)
    body = tool.http().post(NEXT).json()
    assert Claim.objects.get(field_id=body["id"]).user == clerk


def test_review_tool_service_user_in_the_clerk_group_may_review(slip, demo_types):
    tool = make_caller("review-tool", types=())
    tool.client.user.groups.add(Group.objects.get_or_create(name="clerk")[0])
    assert tool.http().post(NEXT).status_code == 200
