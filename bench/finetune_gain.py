"""Does fine-tuning on one document type's corrections raise that type's field accuracy?

    .venv/bin/python bench/finetune_gain.py [--type loan_application] [--train-bills 40]
        [--test-bills 12] [--kind auto|numeric|general] [--epochs 5] [--locate labels|regions]
        [--threads 2] [--json bench/results/finetune-gain.json] [--keep DIR]

End to end, in a throwaway database and media folder (the project's own are not touched):

1. render ``--train-bills`` demo bills of the type and recognise them through the real pipeline
   (documents.services.ingest, tasks run inline) with the active models;
2. a scripted clerk decides every field under review with the bill's truth (reviews.services
   claim + decide). With ``--review-all`` (default) the type's threshold is 1.0, as for a form
   being onboarded: every field is seen, correct readings are confirmed, wrong ones corrected;
3. export the decisions (reviews.export: crops, labels, split by document);
4. render ``--test-bills`` other bills (other seeds) and recognise them: the "before" figures;
5. fine-tune the active model of each kind on its crops (recognition.engine.finetune, synthetic
   replay), register, score on the fixed evaluation set (var/eval/KIND-heldout, shared with the
   project) and on the export's validation split, activate through the gate (a refused gate is
   overridden with the reason "benchmark", and reported);
6. recognise the test bills again with the new models: the "after" figures.

Field accuracy: the share of fields whose stored value equals the truth after the charset folding
rule (a field not found counts as wrong). ``--locate regions`` gives every field of the type a
region measured on calibration bills (FieldSpec.region, a normal configuration of a type) instead
of finding it next to its printed label: use it while the general model cannot yet read labels,
so that fields are found at all; ``labels`` is the type as shipped.

Runs on a plain CPU; on a machine shared with training jobs, keep ``--threads`` at 1-2.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NUMERIC = {"id_number", "amount", "date", "account", "phone", "number"}


def setup_django(workdir: Path, threads: int) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="ocr_review.settings",
        DJANGO_DEBUG="1",
        OCR_VAR_DIR=str(workdir / "var"),
        SQLITE_PATH=str(workdir / "var" / "db.sqlite3"),
        MEDIA_ROOT=str(workdir / "media"),
        OCR_TASKS_SYNC="1",
        OCR_TORCH_THREADS=str(threads),
    )
    os.environ.pop("DATABASE_URL", None)
    (workdir / "var").mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    import logging

    logging.getLogger("django-q").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    # The fixed evaluation sets are the project's (deterministic, written once, reused).
    settings.OCR_EVAL_DIR = ROOT / "var" / "eval"
    call_command("migrate", verbosity=0)


def users():
    from django.contrib.auth.models import Group, User

    made = {}
    for name, group in (("bench-clerk", "clerk"), ("bench-supervisor", "supervisor")):
        user = User.objects.create_user(name)
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        made[group] = user
    return made["clerk"], made["supervisor"]


def set_regions(code: str, calibration: int) -> dict:
    """Give every field a region: the union of its value boxes on ``calibration`` bills, padded."""
    from demo.render import render_bill
    from documents.models import FieldSpec

    bills = [render_bill(code, 90_000 + i) for i in range(calibration)]
    width, height = bills[0].image.size
    regions = {}
    for spec in FieldSpec.objects.filter(document_type__code=code):
        boxes = [b.boxes[spec.key] for b in bills if spec.key in b.boxes]
        if not boxes:
            continue
        x0 = min(b[0] for b in boxes) / width - 0.01
        y0 = min(b[1] for b in boxes) / height - 0.004
        x1 = max(b[2] for b in boxes) / width + 0.01
        y1 = max(b[3] for b in boxes) / height + 0.004
        box = [round(max(0.0, x0), 4), round(max(0.0, y0), 4), round(min(1.0, x1), 4)]
        box.append(round(min(1.0, y1), 4))
        spec.region = {"page": 0, "box": box}
        spec.save(update_fields=["region"])
        regions[spec.key] = box
    return regions


def recognise(code: str, seeds: range):
    from demo.render import render_bill
    from documents import services

    out = []
    for seed in seeds:
        bill = render_bill(code, seed)
        buffer = io.BytesIO()
        bill.image.save(buffer, "PNG")
        result = services.ingest(buffer.getvalue(), name=f"{code}-{seed}.png", document_type=code)
        # OCR_TASKS_SYNC: the task ran inline when the ingest transaction committed.
        document = result.document
        document.refresh_from_db()
        out.append((document, bill))
    return out


def review(documents, clerk) -> dict:
    from documents.models import Field
    from reviews import services
    from reviews.exceptions import RulesStillFail

    outcome = defaultdict(int)
    for document, bill in documents:
        for field in document.fields.filter(status=Field.Status.NEEDS_REVIEW):
            services.claim(field.pk, clerk)
            field.refresh_from_db()
            value = bill.truth[field.spec.key]
            try:
                decision = services.decide(field.pk, clerk, value, version=field.version)
            except RulesStillFail:
                decision = services.decide(
                    field.pk, clerk, value, version=field.version, override_reason="checked"
                )
            outcome[str(decision.status)] += 1
    return dict(outcome)


def accuracy(documents) -> dict:
    from recognition.engine.metrics import comparable

    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for document, bill in documents:
        values = {f.spec.key: f.value for f in document.fields.select_related("spec")}
        for key, truth in bill.truth.items():
            per_field[key][0] += comparable(values.get(key, "")) == comparable(truth)
            per_field[key][1] += 1
    return {
        k: {"correct": c, "fields": n, "accuracy": round(c / n, 4)}
        for k, (c, n) in per_field.items()
    }


def summarise(per_field: dict, kinds: dict) -> dict:
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for key, row in per_field.items():
        for group in ("all", "numeric" if kinds[key] in NUMERIC else "general"):
            groups[group][0] += row["correct"]
            groups[group][1] += row["fields"]
    return {g: round(c / n, 4) if n else None for g, (c, n) in groups.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--type", default="loan_application")
    parser.add_argument("--train-bills", type=int, default=40)
    parser.add_argument("--test-bills", type=int, default=12)
    parser.add_argument("--kind", choices=("auto", "numeric", "general"), default="auto")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--replay", type=float, default=None, help="default: finetune_ocr's")
    parser.add_argument("--lr", type=float, default=None, help="default: finetune_ocr's")
    parser.add_argument("--locate", choices=("labels", "regions"), default="labels")
    parser.add_argument("--calibration-bills", type=int, default=10)
    parser.add_argument(
        "--review-all",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="threshold 1.0 for the type: every field goes to the clerk (default on)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", dest="json_out", default=None)
    parser.add_argument("--keep", default=None, help="keep the database, export and models here")
    args = parser.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="finetune-gain-"))
    started = time.monotonic()
    setup_django(workdir, args.threads)

    import torch
    from django.utils import timezone

    from demo.loading import load_document_types
    from documents import services
    from documents.models import DocumentType, FieldSpec
    from recognition import activation, registry
    from recognition.engine.finetune import FinetuneConfig, finetune, kinds_in
    from recognition.exceptions import ActivationRefused
    from reviews.export import ExportParams, export_corrections

    torch.set_num_threads(args.threads)
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> None:
        timings[name] = round(time.monotonic() - t0, 1)
        print(f"[{timings[name]:>6.1f} s] {name}", flush=True)

    load_document_types()
    clerk, supervisor = users()
    kinds = dict(FieldSpec.objects.filter(document_type__code=args.type).values_list("key", "kind"))
    regions = set_regions(args.type, args.calibration_bills) if args.locate == "regions" else {}
    if args.review_all:
        DocumentType.objects.filter(code=args.type).update(confidence_threshold=1.0)
    base = {k: registry.active_version(k) for k in ("numeric", "general")}

    t0 = time.monotonic()
    window_start = timezone.now()
    train_docs = recognise(args.type, range(1000, 1000 + args.train_bills))
    lap(f"recognised {args.train_bills} training bills", t0)
    t0 = time.monotonic()
    decisions = review(train_docs, clerk)
    data = workdir / "export"
    shutil.rmtree(data, ignore_errors=True)
    exported = export_corrections(ExportParams(since=window_start), data)
    lap(f"clerk decisions {decisions}, exported {exported.counts['exported']} crops", t0)

    t0 = time.monotonic()
    test_docs = recognise(args.type, range(5000, 5000 + args.test_bills))
    before = accuracy(test_docs)
    lap(f"recognised {args.test_bills} held-out bills (before)", t0)

    chosen = sorted(kinds_in(data)) if args.kind == "auto" else [args.kind]
    models = {}
    for kind in chosen:
        t0 = time.monotonic()
        tuning = {k: v for k, v in (("replay", args.replay), ("lr", args.lr)) if v is not None}
        config = FinetuneConfig(kind, epochs=args.epochs, threads=args.threads, **tuning)
        try:
            result = finetune(
                registry.training_path(base[kind]), data, workdir / f"{kind}-ft.pt", config
            )
        except ValueError as exc:
            print(f"{kind}: not fine-tuned: {exc}")
            continue
        version = registry.register(result.path, kind, base[kind], exported.counts, supervisor)
        registry.evaluate_version(version, registry.heldout_dir(kind))
        registry.evaluate_version(version, data / "val", metric="validation")
        registry.evaluate_version(base[kind], data / "val", metric="validation")
        gate = activation.check_gate(version)
        try:
            record = activation.activate(version, supervisor)
        except ActivationRefused:
            record = activation.activate(version, supervisor, override_reason="benchmark")
        base[kind].refresh_from_db()
        version.refresh_from_db()
        models[kind] = {
            "base": base[kind].name,
            "new": version.name,
            "train_crops": result.data["train_lines"],
            "val_crops": result.data["val_lines"],
            "steps": result.steps,
            "finetune_s": round(result.seconds, 1),
            "fixed_set_exact": {"before": gate.active_exact, "after": gate.candidate_exact},
            "validation_exact": {
                "before": base[kind].metric("validation"),
                "after": version.metric("validation"),
            },
            "synthetic_exact": {
                "before": result.metrics["before"]["synthetic"]["exact"],
                "after": result.metrics["after"]["synthetic"]["exact"],
            },
            "gate": gate.message(),
            "activation": record.action,
        }
        lap(f"{kind}: fine-tuned {result.steps} steps, registered, {record.action}", t0)

    t0 = time.monotonic()
    for document, _ in test_docs:
        services.rerun_recognition(document)
        document.refresh_from_db()
    after = accuracy(test_docs)
    lap(f"recognised the {args.test_bills} held-out bills again (after)", t0)

    report = {
        "type": args.type,
        "locate": args.locate,
        "regions": regions,
        "review_all": args.review_all,
        "train_bills": args.train_bills,
        "test_bills": args.test_bills,
        "epochs": args.epochs,
        "replay": args.replay or FinetuneConfig.replay,
        "lr": args.lr or FinetuneConfig.lr,
        "threads": args.threads,
        "decisions": decisions,
        "export": exported.counts,
        "models": models,
        "field_accuracy": {
            "before": summarise(before, kinds),
            "after": summarise(after, kinds),
            "per_field": {
                k: {
                    "kind": kinds[k],
                    "before": before[k]["accuracy"],
                    "after": after[k]["accuracy"],
                }
                for k in before
            },
        },
        "timings_s": timings,
        "total_s": round(time.monotonic() - started, 1),
        "workdir": str(workdir) if args.keep else None,
    }
    print(f"\n{'field':<20}{'kind':<17}{'before':>8}{'after':>8}")
    for key, row in report["field_accuracy"]["per_field"].items():
        print(f"{key:<20}{row['kind']:<17}{row['before']:>8.1%}{row['after']:>8.1%}")
    for group in ("numeric", "general", "all"):
        b = report["field_accuracy"]["before"].get(group)
        a = report["field_accuracy"]["after"].get(group)
        if b is not None:
            print(f"{group.upper():<37}{b:>8.1%}{a:>8.1%}")
    for kind, row in models.items():
        print(f"{kind}: {json.dumps(row, ensure_ascii=False)}")
    if args.json_out:
        Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
