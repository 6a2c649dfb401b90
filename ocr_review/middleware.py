"""Cross-cutting request handling: the Content-Security-Policy header, the session idle timeout,
the reader's time zone."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

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
    a screen left alone is: the page stops its heartbeat after a lease's time without input
    (static/js/review.js). Token-authenticated API calls carry no session and are not affected.
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


TIME_ZONE_COOKIE = "tz"


class UserTimeZoneMiddleware:
    """Shows dates in the reader's own time zone: the browser names it in the ``tz`` cookie
    (static/js/pages.js); without one, or with a name that is no IANA zone, settings.TIME_ZONE.
    Only what is shown changes: the database stores UTC and logs are in UTC."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = user_time_zone(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def user_time_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA zone ``name`` (e.g. Asia/Shanghai), or None for anything else."""
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
