"""Restore a backup made by ``manage.py backup`` (stop the web server and the workers first):
``manage.py restore --from DIR`` writes the configured SQLite file and MEDIA_ROOT, or the places
``--db FILE --media DIR`` name.

Nothing is overwritten unless ``--force``: the database file must not exist and the media folder
must be empty. Both files are checked against the manifest's sha256 before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from .backup import DB_FILE, FORMAT, MANIFEST_FILE, MEDIA_FILE, file_sha256


class Command(BaseCommand):
    help = (
        "Restore a manage.py backup folder: the SQLite database and the media files. Stop the "
        "web server and the workers first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="source", required=True, help="The backup folder.")
        parser.add_argument("--db", help="SQLite file to write (default: the configured one).")
        parser.add_argument("--media", help="Media folder to fill (default: MEDIA_ROOT).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing database file and extract over a non-empty media folder.",
        )

    def handle(self, *args: Any, source: str, force: bool = False, **options: Any) -> None:
        folder = Path(source)
        manifest = self._manifest(folder)
        if options.get("db"):
            db_path = Path(options["db"])
        elif connection.vendor == "sqlite":
            db_path = Path(str(connection.settings_dict["NAME"]))
        else:
            raise CommandError("DATABASE_URL points at PostgreSQL: restore it with pg_restore.")
        media = Path(options.get("media") or settings.MEDIA_ROOT)
        if db_path.exists() and not force:
            raise CommandError(f"{db_path} exists: pass --force to replace it.")
        if media.is_dir() and any(media.iterdir()) and not force:
            raise CommandError(f"{media} is not empty: pass --force to extract over it.")
        connection.close()  # never write under a connection of our own
        self._restore_database(folder / DB_FILE, db_path)
        media.mkdir(parents=True, exist_ok=True)
        with tarfile.open(folder / MEDIA_FILE) as tar:
            # The "data" filter refuses absolute paths, links out of the folder and devices.
            tar.extractall(media, filter="data")
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {manifest['documents']} document(s) into {db_path} and "
                f"{manifest['media_files']} file(s) into {media}"
            )
        )

    def _manifest(self, folder: Path) -> dict[str, Any]:
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text())
        except FileNotFoundError:
            raise CommandError(
                f"{folder} has no {MANIFEST_FILE}: not a backup, or one that did not finish."
            ) from None
        if manifest.get("format") != FORMAT:
            raise CommandError(f"unknown backup format {manifest.get('format')!r}")
        for name in (DB_FILE, MEDIA_FILE):
            if file_sha256(folder / name) != manifest["sha256"][name]:
                raise CommandError(f"{folder / name} does not match its sha256 in the manifest")
        return manifest

    def _restore_database(self, backup: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        shutil.copyfile(backup, part)
        # A write-ahead log left by the old database would be replayed into the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(part, target)
