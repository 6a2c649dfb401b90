"""What a locked-out login sees: the login page again, with why and for how long (HTTP 429)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def locked_out(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "Too many failed logins for this user from this address. Try again in %(minutes)d minutes "
        "or ask an administrator to unlock it."
    ) % {"minutes": minutes}
    return render(request, "registration/locked_out.html", {"message": message}, status=429)
