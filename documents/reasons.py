"""Review reasons and rule failures in the reader's language.

Reasons are stored with their English template and parameters (``documents.rules.messages``);
one written before reasons carried a template is matched back to it from its English message, so
every row translates. An admin's own regex message has no translation and is shown as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext

from documents.rules import messages


def reason_text(reason: Mapping[str, Any]) -> str:
    message = str(reason.get("message") or "")
    template, params = reason.get("template"), reason.get("params")
    if not isinstance(template, str) or not isinstance(params, Mapping):
        parsed = messages.parse(message)
        if parsed is None:
            return message
        template, params = parsed
    return messages.fill(gettext(template), params)


def localized(reasons: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The reasons with ``message`` in the active language (JSON for pages and the API)."""
    return [{**r, "message": reason_text(r)} for r in reasons]
