"""The OpenAPI schema validates, and schemathesis fuzzing a running server finds no 500s."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
SEED_DOCUMENT = """
from documents.models import DocumentType
from tests.factories import document_with_fields
document_with_fields(
    DocumentType.objects.get(code="bank_slip"),
    {"payer_name": ("张伟", 0.6, ["low_confidence"]), "amount": ("1.00", 0.99, [])},
)
"""


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(out))
    schema = out.read_text()
    for path in (
        "/api/v1/documents/:",
        "/api/v1/documents/{id}/:",
        "/api/v1/document-types/:",
        "/api/v1/ocr/recognize:",
        "/api/v1/review/next:",
        "/api/v1/review/fields/{id}/decision:",
    ):
        assert path in schema
    assert "ApiToken:" in schema and "scheme: bearer" in schema


def test_swagger_ui_is_served_from_the_app_without_inline_script(client, clerk):
    assert client.get("/api/docs/").status_code in (401, 403), "behind a login by default"
    client.force_login(clerk)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "cdn." not in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)


def test_unrouted_api_path_is_a_json_404(api):
    response = api.get("/api/v1/documents/not-a-number/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the test server exited"
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (401 without a token): it is up
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {seconds} s")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_schemathesis_finds_no_server_errors(tmp_path):
    """Fuzz every operation of the live schema against runserver on a private SQLite file."""
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if cli is None:
        pytest.skip("schemathesis is not installed (requirements-dev.txt)")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
        "DJANGO_DEBUG": "1",
        "SQLITE_PATH": str(tmp_path / "fuzz.sqlite3"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "OCR_TASKS_SYNC": "0",
        "API_DOCS_PUBLIC": "1",
        "PYTHONPATH": str(ROOT),
    }
    _manage(env, "migrate", "-v0")
    _manage(env, "load_demo", "--bills", "0", "--password", "fuzz-only-password")
    _manage(env, "shell", "-c", SEED_DOCUMENT)
    # Bound to the clerk's user so the review operations are exercised too, not just refused.
    token = _manage(
        env,
        "create_api_client",
        "fuzzer",
        "--types",
        "bank_slip,loan_application,vat_invoice",
        "--user",
        "clerk",
        "--rate",
        "100000/min",
    ).strip()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "w"),  # noqa: SIM115 - closed with the process
    )
    try:
        _wait_for(f"{base}/api/v1/documents/", server)
        command = [
            cli,
            "run",
            f"{base}/api/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "20",
            "--seed",
            "20250301",
            "--workers",
            "1",
        ]
        run = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=200, env=env
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    log = (tmp_path / "server.log").read_text()
    assert run.returncode == 0, run.stdout[-6000:] + log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert " 500 " not in log
