"""Admin: create a client and see its token once; rotate, revoke; inspect and replay webhooks."""

from __future__ import annotations

import re
import uuid

import pytest
from django.utils import timezone

from documents.api import tokens
from documents.models import ApiClient, WebhookDelivery, WebhookEvent


@pytest.fixture
def admin_http(client, admin_user):
    client.force_login(admin_user)
    return client


def shown_token(response) -> str:
    match = re.search(r'value="(ocr_[^"]+)"', response.content.decode())
    assert match, "the page shows the new token"
    return match.group(1)


def test_adding_a_client_shows_its_token_once_and_keeps_only_the_hash(admin_http, demo_types):
    response = admin_http.post(
        "/admin/documents/apiclient/add/",
        {
            "name": "loan-system",
            "allowed_types": [demo_types["bank_slip"].pk],
            "active": "on",
            "throttle_rate": "60/min",
            "webhook_secret": "hook-secret",
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = shown_token(response)
    client = ApiClient.objects.get(name="loan-system")
    assert tokens.find_client(token) == client
    assert client.user.username == "api-loan-system"
    assert client.webhook_secret in response.content.decode(), "the webhook secret is shown once"
    page = admin_http.get(f"/admin/documents/apiclient/{client.pk}/change/").content.decode()
    assert token not in page and client.token_prefix in page
    assert client.webhook_secret not in page, "and never again"


def test_bad_throttle_rate_is_refused_in_the_form(admin_http, demo_types):
    response = admin_http.post(
        "/admin/documents/apiclient/add/",
        {"name": "x", "active": "on", "throttle_rate": "lots", "webhook_secret": "s"},
    )
    assert response.status_code == 200 and b"120/min" in response.content
    assert not ApiClient.objects.exists()


def test_issue_new_token_action_replaces_the_token(admin_http, api_client):
    response = admin_http.post(
        "/admin/documents/apiclient/",
        {"action": "issue_new_token", "_selected_action": [api_client.client.pk]},
    )
    new = shown_token(response)
    assert new != api_client.token
    assert tokens.find_client(api_client.token) is None
    assert tokens.find_client(new) == api_client.client


def test_issue_new_webhook_secret_action_shows_it_once(admin_http, api_client):
    old = api_client.client.webhook_secret
    response = admin_http.post(
        "/admin/documents/apiclient/",
        {"action": "issue_new_webhook_secret", "_selected_action": [api_client.client.pk]},
    )
    api_client.client.refresh_from_db()
    new = api_client.client.webhook_secret
    assert new != old and new in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_revoke_action_stops_the_token(admin_http, api_client):
    admin_http.post(
        "/admin/documents/apiclient/",
        {"action": "revoke", "_selected_action": [api_client.client.pk]},
    )
    client = ApiClient.objects.get(pk=api_client.client.pk)
    assert not client.active and client.revoked_at
    assert api_client.http().get("/api/v1/documents/").json()["code"] == "token_revoked"


@pytest.fixture
def delivered_event(api_client, receiver, settings):
    settings.OCR_TASKS_SYNC = True
    event = WebhookEvent.objects.create(
        event_id=uuid.uuid4(),
        type=WebhookEvent.Type.COMPLETED,
        client=api_client.client,
        url=receiver.url,
        payload={"type": "document.completed", "document": {"id": 1}},
        status=WebhookEvent.Status.DELIVERED,
        attempts=1,
        delivered_at=timezone.now(),
    )
    WebhookDelivery.objects.create(
        event=event, attempt=1, started_at=timezone.now(), status_code=200, success=True
    )
    return event


def test_event_page_shows_its_delivery_log(admin_http, delivered_event):
    page = admin_http.get(f"/admin/documents/webhookevent/{delivered_event.pk}/change/")
    assert page.status_code == 200
    assert str(delivered_event.event_id) in page.content.decode()
    assert "webhook deliveries" in page.content.decode().lower()
    assert admin_http.get("/admin/documents/webhookevent/").status_code == 200


def test_replay_action_resends_the_same_event(
    admin_http, delivered_event, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        admin_http.post(
            "/admin/documents/webhookevent/",
            {"action": "replay", "_selected_action": [delivered_event.pk]},
        )
    assert [r.headers["x-ocr-event-id"] for r in receiver.received] == [
        str(delivered_event.event_id)
    ]
    assert delivered_event.deliveries.filter(manual=True, success=True).exists()
