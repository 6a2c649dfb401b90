"""``manage.py ingest PATH... --type CODE [--wait] [--json OUT]``: command-line intake.

Files (or every file of a folder) go through ``documents.services.ingest``, the service behind
the upload page: the same checks, deduplication and storage. With ``--wait`` the command waits
for recognition: a running task cluster does it; with none running (the embedded default and no
server), recognition runs here, by queueing the task synchronously (``OCR_TASKS_SYNC``) under
its dotted name, as the tests do. One JSON object per file is written (JSON Lines)::

    {"file", "document_id", "status", "fields": {key: {"value", "normalized", "raw_text",
     "confidence", "status"}}}

A refused file gets ``"status": "refused"`` and an ``"error"``; the command then exits with 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from documents import services
from documents.exceptions import UnknownDocumentType
from documents.models import Document
from ocr_review.errors import DomainError

FINAL = (Document.Status.NEEDS_REVIEW, Document.Status.COMPLETED, Document.Status.FAILED)


def cluster_running() -> bool:
    """Whether a task cluster of this project reports itself alive through the broker."""
    try:
        from django_q.status import Stat

        return bool(Stat.get_all())
    except Exception:  # no broker reachable: nobody is working the queue either
        return False


def describe(document: Document) -> dict[str, Any]:
    fields = document.fields.select_related("spec").order_by("spec__order", "id")
    return {
        "document_id": document.pk,
        "status": document.status,
        "fields": {
            f.spec.key: {
                "value": f.value,
                "normalized": f.normalized,
                "raw_text": f.raw_text,
                "confidence": round(f.confidence, 4),
                "status": f.status,
            }
            for f in fields
        },
        **({"error": document.error} if document.error else {}),
    }


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        elif path.is_file():
            out.append(path)
        else:
            raise CommandError(f"{raw}: no such file or folder")
    return out


class Command(BaseCommand):
    help = (
        "Ingest files (or the files of folders) as documents of one type, through the same "
        "service as the upload page; with --wait, wait for (or run) recognition and write one "
        "JSON object per file."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--type", required=True, dest="type_code", help="document type code")
        parser.add_argument("--wait", action="store_true", help="wait for recognition")
        parser.add_argument(
            "--json", default="-", dest="json_out", help="write JSON Lines here (default: stdout)"
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="run recognition in this process even if a cluster is running",
        )
        parser.add_argument("--timeout", type=float, default=900, help="seconds to wait in all")

    def handle(self, *args, **opts) -> None:
        try:
            doc_type = services.resolve_document_type(opts["type_code"])
        except UnknownDocumentType as exc:
            raise CommandError(f"{exc} (manage.py load_types installs the shipped ones)") from exc
        files = _files(opts["paths"])
        inline = opts["wait"] and (opts["inline"] or not cluster_running())
        sync = settings.OCR_TASKS_SYNC
        out = sys.stdout if opts["json_out"] == "-" else open(opts["json_out"], "w")  # noqa: SIM115
        refused, deadline = 0, time.monotonic() + opts["timeout"]
        try:
            # Inline, the task is queued by its dotted name and run at once, here: the command
            # never imports the processing app.
            settings.OCR_TASKS_SYNC = sync or inline
            for path in files:
                entry = self._one(path, doc_type, wait=opts["wait"], inline=inline, until=deadline)
                refused += entry["status"] == "refused"
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
                out.flush()
        finally:
            settings.OCR_TASKS_SYNC = sync
            if out is not sys.stdout:
                out.close()
        if refused:
            raise CommandError(f"{refused} of {len(files)} file(s) refused")

    def _one(self, path: Path, doc_type, *, wait: bool, inline: bool, until: float) -> dict:
        try:
            result = services.ingest(path.read_bytes(), name=path.name, document_type=doc_type)
        except DomainError as exc:
            return {"file": str(path), "document_id": None, "status": "refused", "error": str(exc)}
        document = result.document
        if wait and inline and not result.created and document.status == Document.Status.QUEUED:
            services.enqueue_recognition(document.pk)  # runs now: OCR_TASKS_SYNC
        while wait and not inline and time.monotonic() < until:
            document.refresh_from_db()
            if document.status in FINAL:
                break
            time.sleep(0.5)
        document.refresh_from_db()
        return {"file": str(path), **describe(document)}
