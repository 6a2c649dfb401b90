"""Production settings pass Django's deployment checks; pages carry the security headers; probes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(120)
def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "1",
        "DJANGO_BEHIND_PROXY": "1",
        "DJANGO_SECRET_KEY": "a-production-like-secret-" + "x9Q2!vL7#kP4@wR8" * 3,
        "DJANGO_ALLOWED_HOSTS": "ocr.bank.internal",
        "OCR_VAR_DIR": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout


def test_pages_carry_a_csp_without_inline_script_and_no_inline_handlers(client, clerk):
    client.force_login(clerk)
    for name in ("document-list", "upload", "queue"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        page = response.content.decode()
        assert "onchange=" not in page and "onclick=" not in page
        assert "<script>" not in page, f"{name} has an inline script"
        assert response["X-Frame-Options"] == "DENY"


def test_idle_session_is_logged_out(client, clerk, settings, monkeypatch):
    import time

    client.force_login(clerk)
    assert client.get(reverse("queue")).status_code == 200
    settings.SESSION_IDLE_TIMEOUT_S = 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3600)
    response = client.get(reverse("queue"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_login_locks_out_after_repeated_failures(client, clerk, settings):
    url = reverse("login")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        wrong = client.post(url, {"username": "clerk", "password": "wrong"})
        assert wrong.status_code == 200 and "Wrong user name or password" in wrong.content.decode()
    locked = client.post(url, {"username": "clerk", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    clerk.set_password("the-right-one-7Qx")
    clerk.save()
    still = client.post(url, {"username": "clerk", "password": "the-right-one-7Qx"})
    assert still.status_code == 429, "the right password does not open a locked account either"


def test_healthz_answers_and_readyz_checks_what_a_worker_needs(client, db, settings, tmp_path):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    body = ready.json()
    assert ready.status_code == 200, body
    assert set(body["checks"]) == {"database", "broker", "models", "disk"}
    settings.OCR_WEIGHTS_DIR = tmp_path / "gone"
    from recognition.models import ModelVersion

    ModelVersion.objects.all().delete()
    broken = client.get("/readyz")
    assert broken.status_code == 503
    assert broken.json()["checks"]["models"] != "ok"
    assert str(tmp_path) not in broken.content.decode(), "no server path in what a probe shows"
