"""A queue worker reads a bill without loading what only the web pages and the API need.

DRF's import alone loads psycopg, requests and django.test (about 20 MB a worker), the demo
renderer loads Faker, the ``onnx`` package (only the files' metadata is needed to serve them) 18 MB
and 41 MB more to parse a model; a worker process has none of them after recognising a document (one
without a callback URL: its webhook payload is the API's serializer), so the
whole worker stays within its memory budget (bench/e2e.py measures it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from demo.render import render_bill

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from demo.loading import load_document_types
load_document_types()
from documents import services
from documents.models import Document
from processing.tasks import run_recognition
import documents.tasks, reviews.tasks, recognition.tasks
doc = services.ingest(open(sys.argv[1], "rb").read(), name="bill.png", document_type="bank_slip")
run_recognition(doc.document.pk)
print("status", Document.objects.get(pk=doc.document.pk).status)
heavy = ("rest_framework.fields", "rest_framework.serializers", "faker", "django.test", "torch")
heavy += ("onnx",)
print("loaded", " ".join(m for m in heavy if m in sys.modules) or "-")
"""


@pytest.mark.timeout(300)
def test_a_worker_recognises_a_bill_without_the_web_stack(tmp_path: Path) -> None:
    bill = tmp_path / "bill.png"
    render_bill("bank_slip", seed=3).image.save(bill)
    own = ("SQLITE_PATH", "MEDIA_ROOT", "DATABASE_URL")  # a database and media of its own
    env = {k: v for k, v in os.environ.items() if k not in own}
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(bill)],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "1",
            "OCR_VAR_DIR": str(tmp_path / "var"),
            "OCR_TASKS_SYNC": "0",
        },
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)
    assert lines["status"] in ("completed", "needs_review"), run.stdout
    assert lines["loaded"] == "-", run.stdout
