"""Cross-cutting request handling: the Content-Security-Policy header, the session idle timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]
_LAST_SEEN = "_last_seen"


class ContentSecurityPolicyMiddleware:
    """Every page may load scripts, styles, images and fonts from this server only: no inline
    script, no CDN, no third-party frame (settings.CONTENT_SECURITY_POLICY)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class SessionIdleTimeoutMiddleware:
    """Logs a browser session out after settings.SESSION_IDLE_TIMEOUT_S without a request.

    The review page's lease heartbeat counts as activity, so a clerk at work is never logged out;
    a screen left alone is. Token-authenticated API calls carry no session and are not affected.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        idle = settings.SESSION_IDLE_TIMEOUT_S
        if idle and request.user.is_authenticated:
            now = time.time()
            last = request.session.get(_LAST_SEEN)
            if isinstance(last, (int, float)) and now - last > idle:
                logout(request)
            else:
                request.session[_LAST_SEEN] = int(now)
        return self.get_response(request)
