"""Settings the worker pipeline relies on, checked at start-up (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register()
def check_stuck_after(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A document is taken for dead only after django-q would have killed its task: a shorter
    OCR_STUCK_AFTER_S lets a second worker claim a document the first is still reading."""
    stuck, timeout = settings.OCR_STUCK_AFTER_S, settings.Q_TIMEOUT_S
    if stuck > timeout:
        return []
    return [
        checks.Error(
            f"OCR_STUCK_AFTER_S={stuck} must be longer than Q_TIMEOUT_S={timeout}, or a second "
            "worker may claim a document the first one is still reading.",
            hint="Leave OCR_STUCK_AFTER_S unset (Q_TIMEOUT_S + 120) or raise it.",
            id="processing.E001",
        )
    ]
