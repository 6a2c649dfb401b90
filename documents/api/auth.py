"""Token authentication of API clients: ``Authorization: Token <token>`` (or ``Bearer``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from documents.models import ApiClient

from . import tokens

KEYWORDS = (b"token", b"bearer")
# last_used_at is for the admin's eyes: one write a minute per client is plenty.
_TOUCH_EVERY = timedelta(minutes=1)


class InvalidToken(AuthenticationFailed):
    default_detail = _("The API token is not valid. Send 'Authorization: Token <token>'.")
    default_code = "invalid_token"


class TokenRevoked(AuthenticationFailed):
    default_detail = _("This API token has been revoked. Ask for a new one.")
    default_code = "token_revoked"


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticates as the client's user; ``request.auth`` is the ApiClient."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise InvalidToken()
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise InvalidToken() from None
        client = tokens.find_client(token)
        if client is None:
            raise InvalidToken()
        if not client.active or not client.user.is_active:
            raise TokenRevoked()
        now = timezone.now()
        if client.last_used_at is None or client.last_used_at < now - _TOUCH_EVERY:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        return client.user, client

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "documents.api.auth.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "The API client's token, as `Authorization: Token <token>` or "
                "`Authorization: Bearer <token>`. Tokens are issued in the admin or with "
                "`manage.py create_api_client`."
            ),
        }
