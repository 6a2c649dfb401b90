from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognition.engine.evaluate import NUMERIC_CATEGORIES, evaluate, read_labels
from recognition.engine.readers import open_reader
from recognition.registry import SHIPPED


class Command(BaseCommand):
    help = (
        "Evaluate the recognisers on a folder of line crops with labels.tsv "
        "(relative_path<TAB>text[<TAB>category]): exact lines, CER, per category and font, latency."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--lines", required=True, help="folder holding labels.tsv and crops")
        parser.add_argument(
            "--model",
            choices=("numeric", "general", "auto"),
            default="auto",
            help="auto: numeric model for numeric categories, general otherwise",
        )
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            help="KIND=PATH to evaluate another checkpoint than the shipped one",
        )
        parser.add_argument("--ignore-case", action="store_true")
        parser.add_argument("--json", dest="json_out", help="write the figures as JSON here")
        parser.add_argument("--limit", type=int, default=None, help="only the first N lines")
        parser.add_argument("--show-errors", type=int, default=10)
        parser.add_argument("--threads", type=int, default=None)

    def handle(self, *args, **opts) -> None:
        try:
            lines = read_labels(opts["lines"])
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["limit"]:
            lines = lines[: opts["limit"]]
        paths = {kind: Path(settings.OCR_WEIGHTS_DIR) / name for kind, name in SHIPPED.items()}
        for item in opts["checkpoint"]:
            kind, _, path = item.partition("=")
            if kind not in paths or not path:
                raise CommandError("--checkpoint takes numeric=PATH or general=PATH")
            paths[kind] = Path(path)
        mode = opts["model"]
        needed = {"numeric", "general"} if mode == "auto" else {mode}
        predictors = {k: open_reader(paths[k], threads=opts["threads"] or 1) for k in needed}

        def recognizer_for(line):
            if mode == "auto":
                kind = "numeric" if line.category in NUMERIC_CATEGORIES else "general"
            else:
                kind = mode
            return predictors[kind].recognize

        report = evaluate(lines, recognizer_for, ignore_case=opts["ignore_case"])
        data = report.as_dict()
        data.update(
            lines_dir=str(opts["lines"]),
            model=mode,
            checkpoints={k: str(paths[k]) for k in needed},
            sha256={k: p.sha256 for k, p in predictors.items()},
        )
        self._table(data)
        for path, truth, pred in report.failures[: opts["show_errors"]]:
            self.stdout.write(f"  ✗ {path}: {truth!r} → {pred!r}")
        if opts["json_out"]:
            Path(opts["json_out"]).parent.mkdir(parents=True, exist_ok=True)
            Path(opts["json_out"]).write_text(json.dumps(data, ensure_ascii=False, indent=2))

    def _table(self, data: dict) -> None:
        w = self.stdout.write
        w(f"{'set':<28}{'lines':>7}{'exact':>9}{'CER':>9}")
        w(f"{'ALL':<28}{data['lines']:>7}{data['exact']:>9.2%}{data['cer']:>9.3%}")
        for title, key in (("category", "by_category"), ("font", "by_font")):
            for name, row in data[key].items():
                w(
                    f"  {title}:{name:<{24 - len(title)}}{row['lines']:>7}"
                    f"{row['exact']:>9.2%}{row['cer']:>9.3%}"
                )
        w(
            f"latency median {data['latency_ms_median']} ms, "
            f"p95 {data['latency_ms_p95']} ms (batch 1); "
            f"{data['lines_per_s_batched']} lines/s batched"
        )
        w(
            f"confidence ≥ 0.9 but wrong: {data['wrong_share_at_conf_0_9']}; "
            f"share below 0.9: {data['share_below_conf_0_9']}"
        )
