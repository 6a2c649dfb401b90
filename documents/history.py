"""A document's audit trail as sentences a clerk reads, in their language (the detail page)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .models import Document, Event


def _status(value: Any) -> str:
    try:
        return str(Document.Status(value).label)
    except ValueError:
        return str(value or "—")


def _value(value: Any) -> str:
    return f"“{value}”" if value not in (None, "") else _("(empty)")


def sentence(event: Event) -> str:
    """One sentence for ``event``; a kind it does not know is named as stored."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    detail = event.detail if isinstance(event.detail, dict) else {}
    who = str(event.actor) if event.actor else _("The system")
    field = event.field.spec.label if event.field and event.field.spec else event.field_key
    kind = event.kind
    if kind == "document_received":
        return _("%(who)s submitted “%(name)s”.") % {"who": who, "name": detail.get("name", "")}
    if kind == "status_changed":
        text = _("Status changed from “%(before)s” to “%(after)s”.") % {
            "before": _status(before.get("status")),
            "after": _status(after.get("status")),
        }
        if detail.get("attempt"):
            text += " " + _("Attempt %(n)s.") % {"n": detail["attempt"]}
        return text
    if kind == "recognition_finished":
        return _(
            "Recognition read %(fields)s fields in %(seconds)s s; %(review)s went to review."
        ) % {
            "fields": detail.get("fields", "?"),
            "seconds": detail.get("seconds", "?"),
            "review": detail.get("needs_review", "?"),
        }
    if kind == "recognition_failed":
        return _("Recognition failed (attempt %(n)s): %(error)s") % {
            "n": detail.get("attempt", "?"),
            "error": detail.get("error", ""),
        }
    if kind == "rerun_requested":
        return _("%(who)s asked for recognition to run again.") % {"who": who}
    if kind == "field_confirmed":
        text = _("%(who)s confirmed %(field)s as %(value)s.") % {
            "who": who,
            "field": field,
            "value": _value(after.get("value")),
        }
    elif kind == "field_corrected":
        text = _("%(who)s corrected %(field)s from %(before)s to %(after)s.") % {
            "who": who,
            "field": field,
            "before": _value(before.get("value")),
            "after": _value(after.get("value")),
        }
    elif kind == "field_reread":
        return _("A new run read %(field)s as %(raw)s; the clerk's value %(kept)s was kept.") % {
            "field": field,
            "raw": _value(after.get("raw_text")),
            "kept": _value(detail.get("kept_value")),
        }
    elif kind == "claim_force_released":
        return _("%(who)s released the hold on %(field)s.") % {"who": who, "field": field}
    else:
        return kind
    if detail.get("override_reason"):
        text += " " + _("Kept although a rule failed, because: %(reason)s") % {
            "reason": detail["override_reason"]
        }
    return text
