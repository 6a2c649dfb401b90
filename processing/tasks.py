"""django-q2 tasks of document processing: thin wrappers that take ids and call domain code."""

from __future__ import annotations

from typing import Any

from .run import process_document
from .watchdog import rescue_stuck_documents


def run_recognition(document_id: int) -> str:
    return process_document(document_id)


def run_watchdog() -> dict[str, Any]:
    return rescue_stuck_documents()
