from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from documents.models import DocumentType
from reviews.export import (
    FORMATS,
    ExportError,
    ExportParams,
    export_corrections,
    month_window,
    parse_formats,
    parse_moment,
    parse_percent,
)


class Command(BaseCommand):
    help = (
        "Export the fields clerks corrected or confirmed, by time of decision, as training data: "
        "PNG crops, labels (PaddleOCR crop_path<TAB>text, JSONL/CSV with provenance), a "
        "train/validation split by document and manifest.json with the counts."
    )

    def add_arguments(self, parser) -> None:
        window = parser.add_argument_group("window (time of the clerk's decision)")
        window.add_argument("--month", help="YYYY-MM, e.g. 2025-03")
        window.add_argument("--since", help="YYYY-MM-DD or ISO date-time (inclusive)")
        window.add_argument("--until", help="YYYY-MM-DD (that whole day included) or date-time")
        parser.add_argument("--document-type", default="", help="document type code")
        parser.add_argument(
            "--include-confirmed",
            default="100%",
            help="share of confirmed fields to include, e.g. 30%% (corrections: always all)",
        )
        parser.add_argument(
            "--format",
            action="append",
            dest="formats",
            help=f"{'|'.join(FORMATS)}; repeat or comma-separate (default: all). The crops "
            "and train/val labels.tsv are always written.",
        )
        parser.add_argument("--output", help="new or empty folder (default var/exports/...)")
        parser.add_argument(
            "--mask-ids",
            action="store_true",
            help="mask digits in provenance texts (OCR readings); labels stay exact",
        )
        parser.add_argument(
            "--val-percent", type=float, default=10.0, help="share of documents for validation"
        )

    def handle(self, *args, **opts) -> None:
        try:
            params = self._params(opts)
            out = Path(
                opts["output"]
                or Path(settings.VAR_DIR)
                / "exports"
                / f"corrections-{timezone.now():%Y%m%d-%H%M%S}"
            )
            result = export_corrections(params, out)
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        counts = result.counts
        self.stdout.write(
            f"{counts['exported']} crops ({counts['corrected']} corrected, "
            f"{counts['confirmed']} confirmed) of {counts['decisions']} decisions → {out}\n"
            f"{json.dumps(counts, ensure_ascii=False)}"
        )

    def _params(self, opts: dict) -> ExportParams:
        since = until = None
        if opts["month"]:
            if opts["since"] or opts["until"]:
                raise ExportError("give either --month or --since/--until, not both")
            since, until = month_window(opts["month"])
        if opts["since"]:
            since = parse_moment(opts["since"])
        if opts["until"]:
            until = parse_moment(opts["until"], end=True)
        code = opts["document_type"]
        if code and not DocumentType.objects.filter(code=code).exists():
            raise ExportError(f"no document type with code {code!r}")
        return ExportParams(
            since=since,
            until=until,
            document_type=code,
            include_confirmed=parse_percent(opts["include_confirmed"]),
            formats=parse_formats(opts["formats"]),
            mask_ids=opts["mask_ids"],
            val_percent=opts["val_percent"],
        )
