"""Probes for load balancers and orchestrators.

``/healthz``: the process answers (liveness; touches nothing). ``/readyz``: this process can do its
work: the database answers, the broker answers, the active models' files are there and unchanged,
and the media folder has room. 503 with the failing checks otherwise. Neither needs a login and
neither says more than ok / a short reason (no paths, no versions).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from recognition import registry


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _broker() -> str:
    from django_q.brokers import get_broker

    return "ok" if get_broker().ping() else "no answer"


def _models() -> str:
    for kind in registry.SHIPPED:
        version = registry.active_version(kind)
        problem = registry.file_problem(version)
        if problem:
            return f"{kind} model: {problem}"
    return "ok"


def _disk() -> str:
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(media).free // (1024 * 1024)
    return "ok" if free_mb >= settings.OCR_MIN_FREE_DISK_MB else f"{free_mb} MB free"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "broker": _broker,
    "models": _models,
    "disk": _disk,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # a probe reports, it never raises
            results[name] = type(exc).__name__
    ready = all(value == "ok" for value in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results},
        status=200 if ready else 503,
    )
