"""Structured logs: one JSON object per line (``LOG_FORMAT=json``), for log shippers:
``{"time": "2026-12-01T08:30:00.123Z", "level": "WARNING", "logger": "documents.retention",
"message": "...", "exception": "Traceback ...", ...extra}``.

``time`` is UTC, ISO-8601 with milliseconds; ``exception`` (and ``stack``) only when present;
anything passed with ``extra={...}`` is added under its own key (as text when not JSON).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

# The attributes every LogRecord has; anything else came from extra={...}.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """A logging.Formatter writing each record as one line of JSON (newlines escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        return json.dumps(entry, ensure_ascii=False, default=str)


class UtcFormatter(logging.Formatter):
    """The plain log line, with its time in UTC (ISO-8601, Z): one clock for web and workers."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"
