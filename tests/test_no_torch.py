"""Web and worker processes never import torch: it is for training and fine-tuning only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import sys, django
django.setup()
from django.urls import resolve
import ocr_review.urls, ocr_review.wsgi
import processing.tasks, documents.tasks, reviews.tasks, recognition.tasks
from recognition import loader
from processing.reading import recognize_document
resolve("/api/v1/ocr/recognize")
loaded = sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))
print("torch" if loaded else "clean")
"""


@pytest.mark.timeout(120)
def test_web_and_worker_code_never_imports_torch(tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "ocr_review.settings",
            "DJANGO_DEBUG": "1",
            "OCR_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == "clean"
