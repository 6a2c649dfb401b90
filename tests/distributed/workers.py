"""Real `manage.py qcluster` processes for tests, on the test's own database and broker.

A worker process copies the test's environment, so on the distributed pass it reaches the same
PostgreSQL and Redis. Only the database name needs care: pytest-django runs the tests in
``test_<name>``, while DATABASE_URL names ``<name>``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_database_url() -> str:
    """DATABASE_URL of the database the tests run in (call once the test database exists)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def start_cluster(media_root: Path, name: str, **extra_env: str) -> subprocess.Popen:
    """The recognition cluster with one worker and short timeouts, logging next to media_root."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocr_review.test_settings",
        "MEDIA_ROOT": str(media_root),
        "Q_WORKERS": "1",
        "Q_TIMEOUT_S": "20",
        "Q_RETRY_GRACE_S": "5",
        "Q_POLL_S": "0.2",
        # Over Q_TIMEOUT_S (the start-up check) and under its retry (Q_TIMEOUT_S + grace): the ORM
        # broker delivers a killed task again at 25 s, and it must find the document abandoned.
        "OCR_STUCK_AFTER_S": "22",
        "OCR_TASKS_SYNC": "0",
        "LOG_LEVEL": "INFO",
        **extra_env,
    }
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(connection.settings_dict["NAME"])
    else:
        env["DATABASE_URL"] = worker_database_url()
    log = open(media_root.parent / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def kill_cluster(proc: subprocess.Popen) -> None:
    """SIGKILL to the whole process group: the worker dies wherever it is."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


def wait_for(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
