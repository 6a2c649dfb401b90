"""The environment switches the embedded default to the distributed set-up with no code change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ocr_review import backends

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'db': s.DATABASES['default']['ENGINE'], "
    "'cache': s.CACHES['default']['BACKEND'], 'cache_at': s.CACHES['default'].get('LOCATION'), "
    "'broker': 'redis' if 'redis' in s.Q_CLUSTER "
    "else 'orm', 'queues': s.Q_QUEUES, 'alt': sorted(s.Q_CLUSTER['ALT_CLUSTERS'])}))"
)


def _last_line(probe: str, tmp_path: Path, drop: tuple[str, ...], **env: str) -> str:
    """What ``probe`` prints last, run with the real settings in a new process."""
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in drop},
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "1",
            "OCR_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().splitlines()[-1]


def _settings(tmp_path: Path, **env: str) -> dict:
    return json.loads(_last_line(PROBE, tmp_path, ("DATABASE_URL", "REDIS_URL"), **env))


def test_embedded_default_is_sqlite_orm_broker_and_a_shared_file_cache(tmp_path):
    got = _settings(tmp_path)
    assert got["db"] == "django.db.backends.sqlite3" and got["broker"] == "orm"
    assert got["cache"].endswith("FileBasedCache"), "shared by every process on the machine"


def test_urls_switch_to_postgresql_redis_broker_and_redis_cache(tmp_path):
    got = _settings(
        tmp_path,
        DATABASE_URL="postgresql://ocr:pw@127.0.0.1:5432/ocr",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert got["db"] == "django.db.backends.postgresql" and got["broker"] == "redis"
    assert got["cache"].endswith("RedisCache")
    assert got["cache_at"] == "redis://127.0.0.1:6379/1", "never the queue's database"


def test_each_purpose_has_its_own_queue(tmp_path):
    got = _settings(tmp_path, Q_NAME="bank")
    assert got["queues"] == {
        "recognition": "bank",
        "webhooks": "bank-webhooks",
        "background": "bank-background",
    }
    assert got["alt"] == ["bank-background", "bank-webhooks"]


def test_a_new_shell_finds_the_key_run_app_keeps(tmp_path):
    (tmp_path / "secret_key").write_text("kept-by-run-app-" + "k" * 40 + "\n")
    probe = (
        "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    )
    key = _last_line(probe, tmp_path, ("DJANGO_SECRET_KEY",), DJANGO_DEBUG="0")
    assert key == "kept-by-run-app-" + "k" * 40


def test_a_setting_with_choices_refuses_anything_else(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from ocr_review.env import env_choice

    monkeypatch.delenv("OCR_PROBE_CHOICE", raising=False)
    assert env_choice("OCR_PROBE_CHOICE", ("general", "numeric")) == "general"
    monkeypatch.setenv("OCR_PROBE_CHOICE", "numeric")
    assert env_choice("OCR_PROBE_CHOICE", ("general", "numeric")) == "numeric"
    monkeypatch.setenv("OCR_PROBE_CHOICE", "Numeric")
    with pytest.raises(ImproperlyConfigured, match="OCR_PROBE_CHOICE='Numeric': use one of"):
        env_choice("OCR_PROBE_CHOICE", ("general", "numeric"))


def test_a_bounded_number_outside_its_range_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from ocr_review.env import env_float

    monkeypatch.setenv("OCR_PROBE_SHARE", "0.5")
    assert env_float("OCR_PROBE_SHARE", 0.9, minimum=0, maximum=1) == 0.5
    monkeypatch.setenv("OCR_PROBE_SHARE", "98")
    with pytest.raises(ImproperlyConfigured, match="OCR_PROBE_SHARE=98 is outside 0 to 1"):
        env_float("OCR_PROBE_SHARE", 0.9, minimum=0, maximum=1)


def test_sqlite_waits_its_busy_timeout_in_django_and_in_sqlite(tmp_path):
    db = backends.database(
        "",
        sqlite_path=tmp_path / "db" / "x.sqlite3",
        sqlite_test_path=tmp_path / "t",
        busy_timeout_s=7,
    )
    assert db["OPTIONS"]["timeout"] == 7 and "busy_timeout=7000;" in db["OPTIONS"]["init_command"]
    assert (tmp_path / "db").is_dir(), "the folder of the database file is made"


def test_the_redis_cache_keeps_the_credentials_and_host_of_the_queue(tmp_path):
    got = backends.cache(
        "rediss://user:pw@redis.bank.internal:6380/3",
        redis_db=5,
        key_prefix="q",
        files_dir=tmp_path,
    )
    assert (
        got["LOCATION"] == "rediss://user:pw@redis.bank.internal:6380/5"
        and got["KEY_PREFIX"] == "q"
    )


def test_a_detector_strip_height_off_the_networks_stride_is_refused_at_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "1",
            "OCR_VAR_DIR": str(tmp_path),
            "OCR_DETECTOR_STRIP_ROWS": "100",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        run.returncode != 0
        and "OCR_DETECTOR_STRIP_ROWS=100: use 0 or a multiple of 32" in run.stderr
    )
