"""Role checks and the review page's JSON endpoints."""

from __future__ import annotations

import json

import pytest

from documents.models import Field
from reviews import services
from tests.factories import document_with_fields


@pytest.fixture
def slip(demo_types):
    return document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.99, []),
            "amount_in_words": ("捌仟陆佰伍拾元整", 0.7, ["low_confidence"]),
        },
    )


@pytest.mark.parametrize("url", ["/review/dashboard/", "/admin/"])
def test_clerk_cannot_reach_dashboard_or_admin(client, clerk, url):
    client.force_login(clerk)
    response = client.get(url)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]


@pytest.mark.distributed
def test_supervisor_reads_the_dashboard(client, supervisor, slip):
    client.force_login(supervisor)
    response = client.get("/review/dashboard/")
    assert response.status_code == 200
    assert b"<svg" in response.content
    assert response.context["total_fields"] == 3


@pytest.mark.parametrize("url", ["/review/", "/documents/", "/review/dashboard/"])
def test_outsider_sees_nothing(client, outsider, slip, url):
    client.force_login(outsider)
    response = client.get(url)
    if response.status_code == 200:
        assert response.context["documents"].count() == 0
    else:
        assert response.status_code == 403


def test_outsider_cannot_open_a_document_or_its_images(client, outsider, slip):
    client.force_login(outsider)
    field = slip.fields.first()
    assert client.get(slip.get_absolute_url()).status_code == 404
    assert client.get(f"/fields/{field.pk}/crop.png").status_code == 404
    assert client.get(f"/pages/{field.page_id}/image/").status_code == 404


def test_anonymous_is_sent_to_login(client, slip):
    response = client.get("/review/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.distributed
def test_next_claims_a_field_and_opens_its_review_page(client, clerk, slip):
    client.force_login(clerk)
    response = client.post("/review/next/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    field = page.context["field"]
    assert field.claim.user == clerk
    assert b'id="value"' in page.content


@pytest.mark.distributed
def test_decide_endpoint_saves_and_reports_rule_failures(client, clerk, slip):
    client.force_login(clerk)
    words = Field.objects.get(document=slip, spec__key="amount_in_words")
    services.claim(words.pk, clerk)
    url = f"/review/fields/{words.pk}/decide/"
    bad = client.post(
        url,
        json.dumps({"value": "捌元整", "version": words.version}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "rules_still_fail"
    ok = client.post(
        url,
        json.dumps({"value": "捌仟陆佰伍拾元整", "version": words.version, "seconds": 2}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"


@pytest.mark.distributed
def test_second_clerk_cannot_open_a_held_field(client, clerk, clerk2, slip):
    field = services.claim_next(clerk)
    client.force_login(clerk2)
    response = client.get(f"/review/fields/{field.pk}/")
    assert response.status_code == 302 and response["Location"].endswith("/review/")


def test_check_endpoint_runs_the_rules_on_a_proposed_value(client, clerk, slip):
    client.force_login(clerk)
    words = Field.objects.get(document=slip, spec__key="amount_in_words")
    reply = client.post(
        f"/review/fields/{words.pk}/check/",
        json.dumps({"value": "壹元整"}),
        content_type="application/json",
    ).json()
    assert [f["code"] for f in reply["failures"]] == ["amount_words_mismatch"]
