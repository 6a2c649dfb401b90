"""Shared fixtures: personas, a private MEDIA_ROOT, the demo document types, rendered bills."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OCR_MODEL_STORE = settings.MEDIA_ROOT / "models"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _tasks_inline(settings):
    """Queued tasks run inline, after commit; tests with a real cluster switch this off."""
    settings.OCR_TASKS_SYNC = True


def _user(username: str, group: str | None = None, **extra):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username=username, password="pw-" + username, **extra)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


@pytest.fixture
def clerk(db):
    return _user("clerk", "clerk")


@pytest.fixture
def clerk2(db):
    return _user("clerk2", "clerk")


@pytest.fixture
def supervisor(db):
    return _user("supervisor", "supervisor")


@pytest.fixture
def admin_user(db):
    return _user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    return _user("outsider")


@pytest.fixture
def demo_types(db):
    from demo.loading import load_document_types

    return {t.code: t for t in load_document_types()}


@pytest.fixture(scope="session")
def rendered_bills():
    """One rendered demo bill per type, as PNG bytes, with its ground truth (made once)."""
    from demo.render import render_bill

    out = {}
    for code in ("bank_slip", "loan_application", "vat_invoice"):
        bill = render_bill(code, seed=7)
        buffer = io.BytesIO()
        bill.image.save(buffer, "PNG")
        out[code] = (buffer.getvalue(), bill)
    return out


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES}")
    return SAMPLES
