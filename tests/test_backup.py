"""`manage.py backup` on the embedded set-up: an online copy of the SQLite database and a tar of
the media folder, taken while the app runs; restored into a fresh place, it has every document
and every file."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.factories import document_with_fields


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_place_with_its_documents_and_files(
    demo_types, media_root, tmp_path
):
    docs = [
        document_with_fields(demo_types["bank_slip"], {"amount": ("12.00", 0.99, [])}),
        document_with_fields(demo_types["vat_invoice"], {}),
    ]
    originals = {
        d.pk: {
            name: sha(Path(media_root) / name) for name in [d.file.name, d.pages.get().image.name]
        }
        for d in docs
    }
    out = tmp_path / "backup"
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["documents"] == 2 and manifest["media_files"] >= 4

    restored = tmp_path / "restored"
    call_command(
        "restore",
        "--from",
        str(out),
        "--db",
        str(restored / "db.sqlite3"),
        "--media",
        str(restored / "media"),
        stdout=io.StringIO(),
    )
    db = sqlite3.connect(restored / "db.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = db.execute("SELECT id, file FROM documents_document ORDER BY id").fetchall()
        pages = dict(db.execute("SELECT document_id, image FROM documents_page").fetchall())
    finally:
        db.close()
    assert [pk for pk, _ in rows] == sorted(originals)
    for pk, file_name in rows:
        for name in (file_name, pages[pk]):
            assert sha(restored / "media" / name) == originals[pk][name]


@pytest.mark.django_db(transaction=True)
def test_a_backup_never_overwrites_and_a_restore_never_overwrites_by_accident(demo_types, tmp_path):
    out = tmp_path / "backup"
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", "--out", str(out), stdout=io.StringIO())
    target = tmp_path / "live.sqlite3"
    target.write_bytes(b"the live database")
    with pytest.raises(CommandError, match="exists"):
        call_command(
            "restore", "--from", str(out), "--db", str(target), "--media", str(tmp_path / "m")
        )
    assert target.read_bytes() == b"the live database"


def test_a_damaged_backup_is_refused(tmp_path, db):
    out = tmp_path / "backup"
    call_command("backup", "--out", str(out), stdout=io.StringIO())
    with (out / "db.sqlite3").open("ab") as fh:
        fh.write(b"junk")
    with pytest.raises(CommandError, match="sha256"):
        call_command(
            "restore",
            "--from",
            str(out),
            "--db",
            str(tmp_path / "r" / "db.sqlite3"),
            "--media",
            str(tmp_path / "r" / "media"),
        )
