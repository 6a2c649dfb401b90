"""Per-client request rates: the client's own rate, else settings.API_THROTTLE_RATE."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import api_client_of


class ApiClientThrottle(SimpleRateThrottle):
    """Keyed by API client (or by user for browser sessions); 429 with Retry-After when spent.

    Counts live in the default cache: use a shared cache (Redis) when several web processes
    serve the API, or each process counts on its own.
    """

    scope = "api"

    def __init__(self) -> None:
        # The rate depends on the request's client, so it is read in allow_request.
        self.rate = None

    def allow_request(self, request, view) -> bool:
        client = api_client_of(request)
        self.rate = (client.throttle_rate if client else "") or settings.API_THROTTLE_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        client = api_client_of(request)
        if client is not None:
            ident = f"client-{client.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
