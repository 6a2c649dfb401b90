"""Tokens, scoping and throttling: a client reaches its own documents only, at its own rate."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from documents.api import tokens
from documents.models import ApiClient, Document
from tests.api.callers import make_caller, session
from tests.factories import document_with_fields

LIST = "/api/v1/documents/"


def owned_by(caller, doc_type) -> Document:
    doc = document_with_fields(doc_type, {"amount": ("8,650.00", 0.99, [])})
    Document.objects.filter(pk=doc.pk).update(api_client=caller.client)
    return doc


def test_request_without_token_is_401_with_a_challenge(db):
    response = APIClient().get(LIST)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


def test_unknown_token_is_401_invalid_token(api_client):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Token ocr_000000000000_not-a-real-token")
    response = http.get(LIST)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_tampered_token_with_a_valid_prefix_is_refused(api_client):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {api_client.token[:-2]}xx")
    assert http.get(LIST).status_code == 401


def test_malformed_authorization_header_is_401(api_client):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {api_client.token} extra")
    assert http.get(LIST).json()["code"] == "invalid_token"


def test_revoked_token_is_401_token_revoked(api_client):
    tokens.revoke(api_client.client)
    response = api_client.http().get(LIST)
    assert response.status_code == 401
    assert response.json() == {
        "code": "token_revoked",
        "detail": "This API token has been revoked. Ask for a new one.",
    }


def test_bearer_keyword_works_like_token(api_client):
    assert api_client.http("Bearer").get(LIST).status_code == 200


def test_token_is_kept_only_as_a_hash(api_client):
    row = ApiClient.objects.get(pk=api_client.client.pk)
    values = [str(getattr(row, f.attname)) for f in ApiClient._meta.concrete_fields]
    assert not any(api_client.token in v for v in values)
    assert row.token_hash == tokens.hash_token(api_client.token)
    assert api_client.token.startswith(f"ocr_{row.token_prefix}_")


def test_rotated_token_replaces_the_old_one(api_client):
    new = tokens.rotate_token(api_client.client)
    assert api_client.http().get(LIST).status_code == 401
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert http.get(LIST).status_code == 200


def test_client_acts_as_its_service_user(api_client):
    user = api_client.client.user
    assert user.username == "api-loan-system"
    assert not user.has_usable_password()
    assert not user.groups.exists()


def test_create_api_client_command_prints_a_working_token(demo_types):
    out = io.StringIO()
    call_command(
        "create_api_client",
        "scanner-3",
        types="bank_slip,vat_invoice",
        callback_secret="s3cr3t",
        rate="30/min",
        stdout=out,
        stderr=io.StringIO(),
    )
    token = out.getvalue().strip()
    client = ApiClient.objects.get(name="scanner-3")
    assert tokens.find_client(token) == client
    assert client.webhook_secret == "s3cr3t"
    assert client.throttle_rate == "30/min"
    assert sorted(t.code for t in client.allowed_types.all()) == ["bank_slip", "vat_invoice"]


def test_create_api_client_command_refuses_an_unknown_type(demo_types):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no_such_type"):
        call_command("create_api_client", "x", types="no_such_type", stdout=io.StringIO())
    assert not ApiClient.objects.exists()


def test_client_a_cannot_read_client_b_documents(api_client, other_client, demo_types):
    theirs = owned_by(other_client, demo_types["bank_slip"])
    mine = owned_by(api_client, demo_types["bank_slip"])
    http = api_client.http()
    response = http.get(f"{LIST}{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert http.get(f"{LIST}{theirs.pk}/pages/0/image").status_code == 404
    assert http.get(f"{LIST}{mine.pk}/").status_code == 200
    assert [d["id"] for d in http.get(LIST).json()["results"]] == [mine.pk]


def test_bank_uploads_are_invisible_to_clients(api_client, demo_types):
    web = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.99, [])})
    assert api_client.http().get(f"{LIST}{web.pk}/").status_code == 404


def test_clerk_session_sees_every_document(api_client, other_client, demo_types, clerk):
    docs = {owned_by(c, demo_types["bank_slip"]).pk for c in (api_client, other_client)}
    response = session(clerk).get(LIST)
    assert response.status_code == 200
    assert {d["id"] for d in response.json()["results"]} == docs


def test_logged_in_user_without_a_role_is_403(outsider):
    response = session(outsider).get(LIST)
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


@pytest.mark.distributed
def test_throttled_client_gets_429_with_retry_after(demo_types):
    caller = make_caller("chatty", throttle_rate="2/min")
    http = caller.http()
    assert [http.get(LIST).status_code for _ in range(2)] == [200, 200]
    response = http.get(LIST)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.distributed
def test_each_client_has_its_own_allowance(demo_types, settings):
    settings.API_THROTTLE_RATE = "1/min"
    first, second = make_caller("first"), make_caller("second")
    assert first.http().get(LIST).status_code == 200
    assert first.http().get(LIST).status_code == 429
    assert second.http().get(LIST).status_code == 200, "the default rate counts per client"
