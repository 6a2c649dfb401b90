"""Stored reasons and audit events as text in the reader's language."""

from __future__ import annotations

from django import template

from documents.history import sentence
from documents.reasons import reason_text

register = template.Library()
register.filter("reason_text", reason_text)
register.filter("history_sentence", sentence)
