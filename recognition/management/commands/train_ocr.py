from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand

from recognition.engine import train


class Command(BaseCommand):
    help = (
        "Train the numeric CRNN line recogniser on synthetic bill lines. Resumable: "
        "--resume continues from OUT/last.pt. Checkpoints every few minutes; best.pt holds the "
        "best held-out score."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        train.add_arguments(parser)

    def handle(self, *args, **options) -> None:
        metrics = train.run_from_args(argparse.Namespace(**options))
        self.stdout.write(json.dumps(metrics))
