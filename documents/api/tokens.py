"""API tokens: issued once, stored as a lookup prefix plus the sha256 of the whole token.

A token is ``ocr_<prefix>_<secret>`` with 256 random bits in the secret. That much entropy makes a
fast hash enough at rest (nothing to brute-force, unlike a password), and lets every request be
checked with one indexed lookup and a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from documents.models import ApiClient, DocumentType

SCHEME = "ocr"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def assign_token(client: ApiClient) -> str:
    """Give ``client`` a new token (the old one stops working once saved); returns it in plain."""
    prefix = secrets.token_hex(6)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    client.token_prefix = prefix
    client.token_hash = hash_token(token)
    client.token_issued_at = timezone.now()
    return token


def rotate_token(client: ApiClient) -> str:
    token = assign_token(client)
    client.save(update_fields=["token_prefix", "token_hash", "token_issued_at"])
    return token


def find_client(token: str) -> ApiClient | None:
    """The client owning ``token`` (active or not), or None when it is not one of ours."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME:
        return None
    client = ApiClient.objects.select_related("user").filter(token_prefix=parts[1]).first()
    if client is None or not hmac.compare_digest(client.token_hash, hash_token(token)):
        return None
    return client


def revoke(client: ApiClient) -> None:
    ApiClient.objects.filter(pk=client.pk).update(active=False, revoked_at=timezone.now())
    client.refresh_from_db()


def service_user(name: str):
    """A user for the client to act as: no password, no role, so no login and no queue."""
    User = get_user_model()
    base = ("api-" + (slugify(name) or "client"))[:140]
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = User.objects.create_user(username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def rotate_webhook_secret(client: ApiClient) -> str:
    """A new webhook signing secret for ``client``, returned this once; deliveries from now on
    are signed with it (the receiver must switch to it)."""
    from documents.models.integrations import _webhook_secret

    client.webhook_secret = _webhook_secret()
    client.save(update_fields=["webhook_secret"])
    return client.webhook_secret


@transaction.atomic
def create_client(
    name: str,
    *,
    type_codes: Iterable[str] = (),
    webhook_secret: str = "",
    throttle_rate: str = "",
    user=None,
) -> tuple[ApiClient, str]:
    """A new API client with its own service user (or ``user``), and its token in plain."""
    codes = [c for c in type_codes if c]
    types = list(DocumentType.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {t.code for t in types})
    if missing:
        raise ValueError(f"unknown document type(s): {', '.join(missing)}")
    if user is not None and ApiClient.objects.filter(user=user).exists():
        raise ValueError(f"user {user} already has an API client")
    client = ApiClient(name=name, throttle_rate=throttle_rate)
    if webhook_secret:
        client.webhook_secret = webhook_secret
    client.full_clean(exclude=["token_prefix", "token_hash", "user"])
    client.user = user or service_user(name)
    token = assign_token(client)
    client.save()
    client.allowed_types.set(types)
    return client, token
