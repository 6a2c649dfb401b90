"""Read line crops from scripts: one line of text out per image in, nothing else on stdout."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from recognition.engine.ink import SealFreeReader
from recognition.engine.readers import LineReader, open_reader


class Command(BaseCommand):
    help = (
        "Read text-line images with the active model and print one line of text per image, in "
        "order (an empty line for a file that cannot be read), flushed after each. Paths come "
        "from the arguments or, if none, from standard input, one per line. The model version "
        "is reported on standard error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", help="line images (default: read paths from stdin)")
        parser.add_argument(
            "--model",
            choices=("auto", "general", "numeric"),
            default="auto",
            help="auto reads with the general model, which reads every kind of line",
        )
        parser.add_argument("--threads", type=int, default=1)

    def handle(self, *args: Any, **opts: Any) -> None:
        kind = "general" if opts["model"] == "auto" else opts["model"]
        reader, name = _reader(kind, opts["threads"])
        sys.stderr.write(f"read_lines: {kind} model {name} (sha256 {reader.sha256[:12]})\n")
        out = sys.stdout
        for raw in _paths(opts["paths"]):
            image = cv2.imread(raw, cv2.IMREAD_COLOR) if raw else None
            text = reader.recognize_one(image).text if image is not None else ""
            out.write(text.replace("\n", " ") + "\n")
            out.flush()


def _paths(given: list[str]) -> Iterator[str]:
    if given:
        yield from given
        return
    for line in sys.stdin:
        yield line.rstrip("\n").strip()


def _reader(kind: str, threads: int) -> tuple[LineReader, str]:
    """The active version when the database knows one; else the shipped file (no database
    needed, e.g. on a machine that only reads). Read as the app reads a field's value line: a
    stamped crop read under ``ink.SURE`` is read again without its red ink."""
    from recognition import registry

    try:
        version = registry.active_version(kind)
        reader = open_reader(registry.checkpoint_path(version), threads=threads)
        return SealFreeReader(reader), version.name
    except DatabaseError:
        path = Path(settings.OCR_WEIGHTS_DIR) / registry.SHIPPED[kind]
        return SealFreeReader(open_reader(path, threads=threads)), f"shipped {path.name}"
