"""Back up the embedded set-up while it runs: the SQLite database, then the media folder.

``manage.py backup --out /backups/ocr-$(date +%F)`` writes ``db.sqlite3`` (SQLite's online
backup: a consistent snapshot even while workers write), ``media.tar`` (uploads, page images,
registered models, exports) and, last, ``manifest.json`` (its presence marks a complete backup).
The database is copied first: a file is always stored before its row commits, so every document
in the copy has its file in the tar (files of later uploads may be there too, harmless).
PostgreSQL set-ups use ``pg_dump`` instead (README).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

DB_FILE = "db.sqlite3"
MEDIA_FILE = "media.tar"
MANIFEST_FILE = "manifest.json"
FORMAT = 1


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_database(source: str, target: Path) -> int:
    """Online backup of the SQLite file ``source`` into ``target``; returns its document count.

    The copy is switched out of WAL mode, so it is one self-contained file.
    """
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(part)
    try:
        src.backup(dst)  # one step: a snapshot under a read lock, writers keep going (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA quick_check").fetchone() != ("ok",):
            raise CommandError("the copy of the database does not pass SQLite's quick_check")
        documents = dst.execute("SELECT COUNT(*) FROM documents_document").fetchone()[0]
    finally:
        dst.close()
        src.close()
    os.replace(part, target)
    return int(documents)


def archive_media(root: Path, target: Path) -> int:
    """Every file under ``root`` into an uncompressed tar (images and PDFs are compressed
    already), paths relative to ``root``; returns the number of files. A file deleted while the
    tar is written is left out."""
    part = target.with_name(target.name + ".part")
    count = 0
    with tarfile.open(part, "w") as tar:
        for folder, _dirs, names in os.walk(root):
            for name in sorted(names):
                path = Path(folder) / name
                try:
                    tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
                except FileNotFoundError:
                    continue
                count += 1
    os.replace(part, target)
    return count


class Command(BaseCommand):
    help = (
        "Back up the embedded set-up while it runs: an online copy of the SQLite database and a "
        "tar of MEDIA_ROOT into --out (an empty or new folder). Restore with manage.py restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="Empty or new folder for the backup.")

    def handle(self, *args: Any, out: str, **options: Any) -> None:
        if connection.vendor != "sqlite":
            raise CommandError(
                "manage.py backup is for the embedded SQLite set-up; back up PostgreSQL with "
                "pg_dump and the media folder with your file backup (README: Back up and restore)."
            )
        folder = Path(out)
        if folder.exists() and any(folder.iterdir()):
            raise CommandError(f"{folder} is not empty: back up into a new folder.")
        folder.mkdir(parents=True, exist_ok=True)
        media_root = Path(settings.MEDIA_ROOT)
        source = str(connection.settings_dict["NAME"])
        documents = copy_database(source, folder / DB_FILE)
        files = archive_media(media_root, folder / MEDIA_FILE)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "database": DB_FILE,
            "media": MEDIA_FILE,
            "documents": documents,
            "media_files": files,
            "sha256": {
                DB_FILE: file_sha256(folder / DB_FILE),
                MEDIA_FILE: file_sha256(folder / MEDIA_FILE),
            },
        }
        (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"backed up {documents} document(s) and {files} media file(s) into {folder}"
            )
        )
