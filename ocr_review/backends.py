"""The embedded or the distributed set-up, chosen by DATABASE_URL and REDIS_URL (no Django).

Without them: SQLite and a file cache under the var folder (one machine, many processes). With
them: PostgreSQL (or any database dj-database-url reads) and Redis, shared by many machines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dj_database_url


def database(
    url: str, *, sqlite_path: Path, sqlite_test_path: Path, busy_timeout_s: int
) -> dict[str, Any]:
    """Django's ``DATABASES["default"]``: ``url`` when given, else the SQLite file (its folder
    is made)."""
    if url:
        return dict(dj_database_url.parse(url, conn_max_age=60))
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(sqlite_path),
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue on busy_timeout instead of failing with "database is locked".
        "OPTIONS": {
            "timeout": busy_timeout_s,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA busy_timeout={busy_timeout_s * 1000};"
            ),
        },
        # A file, not memory, so worker processes started by tests share the test database.
        "TEST": {"NAME": str(sqlite_test_path)},
    }


def cache(redis_url: str, *, redis_db: int, key_prefix: str, files_dir: Path) -> dict[str, Any]:
    """Django's ``CACHES["default"]``: one cache for every process, so API throttles and rate
    limits hold across web workers and machines.

    On Redis it takes a database of its own (``redis_db``): clearing the cache flushes that
    database and must never take the task queue (the database in ``redis_url``) with it.
    """
    if redis_url:
        location = urlunsplit(urlsplit(redis_url)._replace(path=f"/{redis_db}"))
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": key_prefix,
        }
    return {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(files_dir),
    }
