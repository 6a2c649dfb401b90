from __future__ import annotations

from django.core.management.base import BaseCommand

from recognition.engine.charset import general_charset, numeric_charset
from recognition.engine.synth import write_line_set


class Command(BaseCommand):
    help = (
        "Write a deterministic synthetic line set (PNG crops + labels.tsv with category and font). "
        "By default only held-out fonts, never used in training: the project's evaluation set."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", choices=("numeric", "general"), required=True)
        parser.add_argument("--out", required=True)
        parser.add_argument("-n", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=20261121)
        parser.add_argument(
            "--training-fonts",
            action="store_true",
            help="use the training fonts instead of the held-out ones",
        )

    def handle(self, *args, **opts) -> None:
        charset = numeric_charset() if opts["kind"] == "numeric" else general_charset()
        out = write_line_set(
            opts["out"],
            charset,
            numeric=opts["kind"] == "numeric",
            n=opts["n"],
            seed=opts["seed"],
            held_out=not opts["training_fonts"],
        )
        self.stdout.write(f"wrote {opts['n']} lines to {out}")
