"""LOG_FORMAT=json: one JSON object per line with UTC time, level, logger, message, exception."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def json_log():
    """A logger writing through the formatter the LOGGING setting names."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    configurator = logging.config.DictConfigurator({"version": 1})
    handler.setFormatter(
        configurator.configure_formatter({"()": "ocr_review.logging_json.JsonFormatter"})
    )
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_each_record_is_one_json_object_on_one_line(json_log):
    logger, stream = json_log
    logger.warning("document #%d deleted:\nsecond line, 金额", 42)
    try:
        raise ValueError("bad value")
    except ValueError:
        logger.exception("it failed")
    first, second = lines(stream)
    assert first["level"] == "WARNING" and first["logger"] == "tests.json_logs"
    assert first["message"] == "document #42 deleted:\nsecond line, 金额"
    assert "exception" not in first
    assert second["level"] == "ERROR" and second["message"] == "it failed"
    assert "Traceback" in second["exception"] and "ValueError: bad value" in second["exception"]


def test_time_is_utc_iso_8601(json_log):
    logger, stream = json_log
    logger.info("tick")
    (entry,) = lines(stream)
    assert entry["time"].endswith("Z")
    when = datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
    assert when.tzinfo is not None and when.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60


def test_extra_values_are_kept_and_anything_becomes_text(json_log):
    logger, stream = json_log
    logger.info("stored", extra={"document_id": 7, "path": Path("/x/y")})
    (entry,) = lines(stream)
    assert entry["document_id"] == 7 and entry["path"] == "/x/y"


def test_log_format_json_switches_the_app_logs(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
        "DJANGO_DEBUG": "1",
        "OCR_VAR_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
    }
    env.pop("DATABASE_URL", None)
    code = "import django, logging; django.setup(); logging.getLogger('ocr').warning('a\\nb')"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    entries = [json.loads(line) for line in run.stderr.splitlines()]  # every line is JSON
    assert {"level": "WARNING", "logger": "ocr", "message": "a\nb"}.items() <= entries[-1].items()
