"""End-to-end benchmark: demo bills with known truth through the real pipeline, per engine.

    scripts/bootstrap.sh --bench        # once: Tesseract + .venv-bench with the peer engines
    .venv-bench/bin/python bench/e2e.py [--bills 20] [--engines ours,tesseract,rapidocr]
        [--workers 1,2] [--out bench/results/e2e]
    .venv/bin/python bench/e2e.py --real [--sets real-zh,real]    # real sample pages, shipped types
    ... [--line-finder lines|detector|hybrid]    # every type's line finder (default: each type's)

1. Renders ``--bills`` demo bills per document type (every third one as a PDF, as ``load_demo``
   does), with their ground truth, once, into bench/out/e2e/bills.
2. For every engine and worker count, a child process sets up a fresh database and media folder
   (``OCR_VAR_DIR``), loads the demo document types, ingests every bill through
   ``documents.services.ingest`` (intake checks, dedupe, storage) and starts that many worker
   processes. Each worker is a fresh interpreter like a queue worker: Django set-up, models loaded
   (timed), then it takes document ids from a queue and runs the task function
   ``processing.tasks.run_recognition`` — rendering, deskew, line finding, recognition, field
   location, rules, routing and the database writes. For a peer engine the worker swaps its
   recogniser in for ours (``bench.engines``); everything else is the same code.
3. From the database: field accuracy before review (value == truth after the charset's folding
   rule), auto-accepted field error rate, review rate, documents with no human touch, per
   document type and overall; pages and documents per minute, median and p95 seconds per page,
   peak RSS per worker (VmHWM) and model load time.
4. A threshold sweep over the stored field confidences: for each threshold, which fields would be
   auto-accepted (no rule or missing-field reason, confidence at or above it) and how many of them
   are wrong; per engine and, for ours, per field kind, with the lowest threshold per kind that
   keeps the auto-accepted error rate at or under --target-error.

Writes OUT.json, OUT.md (tables) and OUT-sweep.png. Run it on an idle machine: the throughput
figures are the machine's, and a training job on the same cores halves them.

``--real`` runs the real sample pages (../shared/samples) instead, through the same intake and
task code, with the shipped types (e_invoice_digital, vat_e_invoice, receipt) and our engine,
and writes bench/results/e2e-real.md/.json (bench/e2e_real.py: truth and figures).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.e2e_bills import render_bills  # noqa: E402
from bench.e2e_figures import (  # noqa: E402
    TYPES,
    markdown,
    pick_thresholds,
    plot_sweep,
    quality,
    review_rate_at,
    speed,
    sweep,
)

OUT_DIR = ROOT / "bench" / "out" / "e2e"
WORKER_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMP_THREAD_LIMIT": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
    "OCR_TORCH_THREADS": "1",
    "REVIEW_SECOND_CHECKS": "0",  # a blind second-check sample would blur the review rate
}


# -- one run (child process: its own database) -----------------------------------------------------


class PeerReader:
    """A peer engine wearing the Predictor interface the pipeline uses."""

    def __init__(self, engine, charset) -> None:
        self.engine = engine
        self.charset = charset

    def recognize(self, images, *, keep_scores: bool = False):
        return self.engine(list(images))

    def recognize_one(self, image):
        return self.recognize([image])[0]


def use_engine(name: str) -> None:
    """In a worker: make the pipeline read with engine ``name`` (ours needs nothing)."""
    if name == "ours":
        return
    from django.conf import settings

    from bench import engines
    from recognition import loader
    from recognition.engine.charset import general_charset
    from recognition.models import ModelVersion

    settings.OCR_FAST_READER = ""  # the peer reads every line itself: no fast model in front
    reader = PeerReader(engines.load(name), general_charset())
    versions = {
        kind: ModelVersion.objects.get(kind=kind, name=f"peer-{name}")
        for kind in ("general", "numeric")
    }
    loader.active_predictor = lambda kind: (reader, versions[kind])


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(engine: str, jobs, results, ready, start) -> None:
    """Load, report ready, then run tasks until the sentinel; always posts a report."""
    try:
        _work(engine, jobs, results, ready, start)
    except BaseException as exc:
        ready.put((None, time.time()))
        results.put({"pid": os.getpid(), "error": f"{type(exc).__name__}: {exc}", "done": []})
        raise


def _work(engine: str, jobs, results, ready, start) -> None:
    import django

    django.setup()
    from django.db import connections

    t0 = time.perf_counter()  # the engine's imports (torch, onnxruntime) count as loading
    from recognition import loader

    use_engine(engine)
    loader.active_predictor("general")
    loader.active_predictor("numeric")
    load_s = time.perf_counter() - t0
    connections.close_all()
    ready.put((load_s, time.time()))
    start.wait()
    from processing.tasks import run_recognition

    done = []
    while True:
        doc_id = jobs.get()
        if doc_id is None:
            break
        t = time.perf_counter()
        outcome = run_recognition(doc_id)
        done.append((doc_id, time.perf_counter() - t, outcome))
    results.put({"pid": os.getpid(), "load_s": load_s, "peak_rss_mb": peak_rss_mb(), "done": done})


def run(engine: str, workers: int, bills: Path, out: Path) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from demo.loading import load_document_types
    from documents import services
    from documents.models import Document, DocumentType, Field
    from documents.rules.cleaning import clean_value
    from documents.shipped_types import install_types
    from recognition.models import ModelVersion

    call_command("migrate", verbosity=0)
    load_document_types()
    install_types()
    if os.environ.get("E2E_LINE_FINDER"):
        DocumentType.objects.update(line_finder=os.environ["E2E_LINE_FINDER"])
    if engine != "ours":
        for kind in ("general", "numeric"):
            ModelVersion.objects.get_or_create(
                kind=kind,
                name=f"peer-{engine}",
                defaults={"sha256": f"peer-{engine}", "checkpoint": "-"},
            )
    truth = json.loads((bills / "truth.json").read_text())
    ids = {}
    for name, item in truth.items():
        result = services.ingest((bills / name).read_bytes(), name=name, document_type=item["type"])
        ids[result.document.pk] = name
    from django.db import connections

    connections.close_all()

    ctx = mp.get_context("spawn")
    jobs, results, ready, start = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=worker, args=(engine, jobs, results, ready, start))
        for _ in range(workers)
    ]
    spawned = time.time()
    for p in procs:
        p.start()
    for doc_id in ids:
        jobs.put(doc_id)
    for _ in procs:
        jobs.put(None)
    ready_reports = [ready.get(timeout=600) for _ in procs]
    if any(load_s is None for load_s, _ in ready_reports):
        start.set()
        errors = [results.get(timeout=60).get("error") for _ in procs]
        sys.exit(f"a worker could not start: {[e for e in errors if e]}")
    load_times = [load_s for load_s, _ in ready_reports]
    start_times = [at - spawned for _, at in ready_reports]
    t0 = time.perf_counter()
    start.set()
    reports = [results.get(timeout=3600) for _ in procs]
    crashed = [r["error"] for r in reports if "error" in r]
    if crashed:
        sys.exit(f"a worker crashed: {crashed}")
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()

    documents = {d.pk: d for d in Document.objects.filter(pk__in=ids)}
    fields = []
    for f in Field.objects.filter(document__in=ids).select_related(
        "spec", "document__document_type"
    ):
        fields.append(
            {
                "doc": ids[f.document_id],
                "type": f.document.document_type.code,
                "key": f.spec.key,
                "kind": f.spec.kind,
                "value": f.value,
                "normalized": f.normalized,
                "raw_text": f.raw_text,
                "truth": truth[ids[f.document_id]]["fields"].get(f.spec.key, ""),
                # The truth as the app stores a value (cleaned: 人民币 cut from amounts in words).
                "truth_stored": clean_value(
                    truth[ids[f.document_id]]["fields"].get(f.spec.key, ""),
                    (),
                    f.spec.kind,
                    f.spec.cleaning or None,
                    labels=(f.spec.label, *(f.spec.label_aliases or ())),
                ).text,
                "confidence": f.confidence,
                "status": f.status,
                "reasons": [r.get("code") for r in f.review_reasons or []],
                "threshold": f.spec.effective_threshold,
            }
        )

    out.write_text(
        json.dumps(
            {
                "engine": engine,
                "workers": workers,
                "wall_s": wall,
                "pages": sum(d.page_count for d in documents.values()),
                "documents": len(documents),
                "statuses": {
                    s: sum(d.status == s for d in documents.values())
                    for s in {d.status for d in documents.values()}
                },
                "per_document": [
                    {"doc": ids[pk], "seconds": s, "outcome": o, "pages": documents[pk].page_count}
                    for r in reports
                    for pk, s, o in r["done"]
                ],
                "load_s": load_times,
                "worker_start_s": start_times,
                "peak_rss_mb": [r["peak_rss_mb"] for r in reports],
                "fields": fields,
            },
            ensure_ascii=False,
        )
    )


_SHARED = ("SQLITE_PATH", "MEDIA_ROOT", "DATABASE_URL", "REDIS_URL")


def run_child(engine: str, workers: int, bills: Path, tag: str = "") -> dict:
    var = OUT_DIR / f"run-{engine}-{workers}{tag}"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    raw_path = var / "raw.json"
    print(f"==> {engine}, {workers} worker(s)", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in _SHARED}
    env.update(WORKER_ENV, OCR_VAR_DIR=str(var), OCR_TASKS_SYNC="0")
    subprocess.run(
        [sys.executable, __file__, "--run", engine, str(workers), str(bills), str(raw_path)],
        check=True,
        env=env,
    )
    raw = json.loads(raw_path.read_text())
    failed = [d for d in raw["per_document"] if d["outcome"] != "done"]
    if failed:
        print(
            f"!! {engine}: {len(failed)} documents not processed, e.g. {failed[0]}; "
            f"errors in {var}/db.sqlite3",
            flush=True,
        )
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bills", type=int, default=20, help="bills per document type")
    parser.add_argument("--seed", type=int, default=5000)
    parser.add_argument("--engines", default="ours,tesseract,rapidocr")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--target-error", type=float, default=0.003)
    parser.add_argument("--out", help="default bench/results/e2e, or e2e-real with --real")
    parser.add_argument("--real", action="store_true", help="the real sample pages instead")
    parser.add_argument("--sets", default="real-zh,real", help="sample folders for --real")
    parser.add_argument("--line-finder", choices=("lines", "detector", "hybrid"))
    parser.add_argument(
        "--run", nargs=4, metavar=("ENGINE", "WORKERS", "BILLS", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.line_finder:  # read by the child processes' run()
        os.environ["E2E_LINE_FINDER"] = args.line_finder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocr_review.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("REVIEW_SECOND_CHECKS", "0")
    if args.run:
        engine, workers, bills, out = args.run
        run(engine, int(workers), Path(bills), Path(out))
        return

    import django

    django.setup()
    if args.real:
        from bench import e2e_real

        pages = e2e_real.prepare(OUT_DIR / "real", tuple(args.sets.split(",")))
        raw = run_child("ours", 1, pages, tag="-real")
        out = Path(args.out or ROOT / "bench" / "results" / "e2e-real")
        e2e_real.report(raw, out, sets=args.sets)
        return
    bills = render_bills(args.bills, args.seed)
    worker_counts = [int(w) for w in args.workers.split(",")]
    report = {
        "bills_per_type": args.bills,
        "seed": args.seed,
        "workers": worker_counts,
        "target_error": args.target_error,
        "engines": {},
    }
    sweeps, current = {}, {}
    for engine in [e for e in args.engines.split(",") if e]:
        raws = {workers: run_child(engine, workers, bills) for workers in worker_counts}
        # Accuracy is the same whatever the worker count; it is read from the first run.
        fields = raws[worker_counts[0]]["fields"]
        entry = {
            "speed": {str(w): speed(raw) for w, raw in raws.items()},
            "overall": quality(fields),
            "by_type": {code: quality([f for f in fields if f["type"] == code]) for code in TYPES},
            "sweep": sweep(fields),
            "thresholds_by_kind": pick_thresholds(fields, args.target_error),
        }
        entry["review_rate_at_target"] = review_rate_at(entry["sweep"], args.target_error)
        report["engines"][engine] = entry
        sweeps[engine], current[engine] = entry["sweep"], entry["overall"]
        (OUT_DIR / f"fields-{engine}.json").write_text(
            json.dumps(fields, ensure_ascii=False, indent=1)
        )
    out = Path(args.out or ROOT / "bench" / "results" / "e2e")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    table = markdown(report)
    out.with_suffix(".md").write_text(table)
    plot_sweep(out.parent / f"{out.name}-sweep.png", sweeps, current, args.target_error)
    print(table)


if __name__ == "__main__":
    main()
