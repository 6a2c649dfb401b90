"""The README's "Integrate in 5 minutes" steps, run as written in a new shell against the app
served the way scripts/run_app.sh serves it (gunicorn, a secret key kept in VAR_DIR/secret_key,
the demo types): if the README and the app drift apart, this fails.

Only two things are not the README's own: BASE names the free port the server got instead of
8000, and the intranet callback host of the example is allowed, as an operator would
(API_WEBHOOK_ALLOWED_NETWORKS). Recognition runs inside the web request (OCR_TASKS_SYNC) instead
of in a django-q2 cluster, so no worker has to start.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from demo.render import render_bill

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _steps() -> tuple[str, str]:
    """The shell and Python blocks of steps 1 to 3 of the README's integration section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**1. Get a token.**") : readme.index("**4. Receive webhooks.**")]
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", section, re.S))
    (python,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return shell, python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = server.stdout.read() if server.stdout else ""
            raise AssertionError(f"the server stopped: {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer")


@pytest.fixture
def served_app(tmp_path):
    if not shutil.which("curl") or not shutil.which("openssl"):
        pytest.skip("curl and openssl are what the README's reader uses")
    var = tmp_path / "var"
    var.mkdir()
    (var / "secret_key").write_text(secrets.token_urlsafe(50))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "OCR_", "SQLITE"))
    }
    env.update(
        OCR_VAR_DIR=str(var),
        MEDIA_ROOT=str(var / "media"),
        OCR_TASKS_SYNC="1",
        API_WEBHOOK_ALLOWED_NETWORKS="loans.bank.internal",
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="ocr_review.settings",
    )
    py = str(ROOT / ".venv/bin/python")
    for command in (["migrate", "--noinput", "-v0"], ["load_demo", "--bills", "0"]):
        subprocess.run([py, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=300)
    port = _free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "ocr_review.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
        yield env, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_api_steps_run_as_written(served_app, tmp_path):
    env, port = served_app
    work = tmp_path / "reader"
    work.mkdir()
    # The reader's own files, in the folder they run the commands from (the checkout).
    (work / ".venv").symlink_to(ROOT / ".venv")
    (work / "manage.py").symlink_to(ROOT / "manage.py")
    slip = render_bill("bank_slip", seed=11)
    slip.image.convert("RGB").save(work / "slip.jpg", quality=92)
    amount = io.BytesIO()
    slip.image.crop(slip.boxes["amount"]).save(amount, "PNG")
    (work / "amount.png").write_bytes(amount.getvalue())

    shell, python = _steps()
    shell = shell.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
    script = (
        "set -euo pipefail\n"
        + shell
        + '\necho "TOKEN=$TOKEN"\necho "ID=$ID"\n'
        + f".venv/bin/python - <<'PYTHON'\n{python}PYTHON\n"
    )
    run = subprocess.run(
        ["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    token = re.search(r"TOKEN=(ocr_\S+)$", out, re.M)
    doc_id = re.search(r"^ID=(\d+)$", out, re.M)
    assert token and doc_id, out
    documents = _json_objects(out)
    detail = next(d for d in documents if d.get("id") == int(doc_id[1]) and "fields" in d)
    assert detail["status"] in ("completed", "needs_review") and detail["fields"]
    assert any("results" in d for d in documents), "the list filtered by status and external_id"
    recognized = next(d for d in documents if "success" in d)
    assert recognized["success"] and recognized["text"].replace(",", "") == slip.truth[
        "amount"
    ].replace(",", "")
    # The Python client's last line: the status and every field's value and status.
    assert out.rstrip().splitlines()[-1].startswith(("completed {", "needs_review {"))


def _json_objects(text: str) -> list[dict]:
    """Every JSON object in ``text`` (curl prints them with no newline between)."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while (i := text.find("{", i)) != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i += 1
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = end
    return found
