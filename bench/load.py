"""Load run: the distributed set-up on this machine, driven through the API like an integrator.

    .venv/bin/python bench/load.py [--documents 200] [--workers 1,2] [--clients 4]
        [--reviewers 2] [--out bench/results/load]
    .venv/bin/python bench/load.py --documents 12          # smoke run, a few minutes

The code is copied once at the start (load_stack.snapshot), so every process of every run runs
the same code even while the working tree changes. For each worker count, on fresh servers
(scripts/services.sh: PostgreSQL + Redis on free loopback ports, thrown away afterwards), with
DJANGO_DEBUG=0, a generated secret key, a temporary MEDIA_ROOT and OCR_VAR_DIR:

1. ``migrate``, ``load_demo --bills 0`` (types and users), API clients (a submitter with a
   webhook secret; one per reviewing demo user), ``schedule_maintenance``; then gunicorn
   (2 processes x 4 threads), ``qcluster`` with ``Q_WORKERS=N`` and the webhook cluster, with
   API_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1 so the local receiver may be called.
2. ``--clients`` threads POST the demo bills (rendered once into bench/out/load/bills, types in
   turn, every third of a type a PDF) as JSON with an Idempotency-Key and a ``callback_url`` on a
   receiver in this process, retrying transport errors, 5xx and 429 with the same key; every
   ``--replay-every``-th upload is sent twice, and its second answer must name the same document
   with ``created: false``.
3. The client's document list is polled until every document has been processed. Pages/min run
   from the first POST to the last ``processed_at``; POST latency is measured per 202 answer;
   recognition seconds per document come from the document JSON.
4. ``--reviewers`` clerks (clerk, clerk2, supervisor; a thread each) take the review queue
   through the API and enter the true values until it is empty, which completes every document;
   each completed (or failed) document must then have exactly one correctly signed webhook
   event, delivered once (documents/notify.py: needs_review sends none).
5. Checks: every upload has exactly one document, every answer named it, every document was
   processed and none failed, review left none waiting, no webhook missing or repeated.
   Everything is stopped (SIGTERM, timed; the process group killed only past a grace period).

Writes OUT.json and OUT.md; exits 1 when a check fails. Throughput is the machine's: run it on an
otherwise idle machine, or read the recorded load next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import load_checks as checks  # noqa: E402
from bench.load_client import (  # noqa: E402
    Api,
    Submission,
    Upload,
    WebhookReceiver,
    details,
    list_documents,
    make_uploads,
    review_all,
    submit_all,
    wait_processed,
)
from bench.load_report import markdown  # noqa: E402
from bench.load_stack import REVIEWERS, Stack, snapshot  # noqa: E402

OUT_DIR = ROOT / "bench" / "out" / "load"
REVIEW_PASSES = 3


def machine_state() -> dict[str, Any]:
    """Cores, memory, load and the other processes using 5% CPU or more: the context of the
    figures."""
    model = ""
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as fh:
        mem_kb = int(fh.readline().split()[1])
    ps = subprocess.run(
        ["ps", "-eo", "pid,pcpu,rss,args", "--sort=-pcpu", "--no-headers"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.splitlines()
    rows = [line.split(None, 1) for line in ps if line.strip()]
    busiest = [
        rest[:120] for pid, rest in rows if int(pid) != os.getpid() and float(rest.split()[0]) >= 5
    ][:5]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "busiest_processes_pcpu_rss_kb_args": busiest,
    }


def review_until_done(
    stack: Stack, api: Api, subs: list[Submission], *, deadline: float
) -> dict[str, Any]:
    """Reviewers clear the queue; a clerk told "empty" while another held the last fields
    stops early, so passes repeat (at most REVIEW_PASSES) while documents still wait. A document
    left waiting with no field open would be stuck for good: counted apart."""
    truth = {i: s.upload.truth for s in subs for i in s.ids}
    apis = [Api(stack.base_url, token) for token in stack.reviewer_tokens]
    passes: list[dict[str, float]] = []
    waiting = [d["id"] for d in list_documents(api) if d["status"] == "needs_review"]
    while apis and waiting and len(passes) < REVIEW_PASSES and time.time() < deadline:
        passes.append(review_all(apis, truth, deadline=deadline, limit=40 * len(subs)))
        waiting = [d["id"] for d in list_documents(api) if d["status"] == "needs_review"]
    stuck = [
        d["id"]
        for d in details(api, waiting)
        if not any(f["status"] == "needs_review" for f in d["fields"])
    ]
    total = {k: sum(p[k] for p in passes) for k in (passes[0] if passes else {})}
    return {
        **total,
        "reviewers": len(apis),
        "passes": len(passes),
        "waiting_after": len(waiting),
        "waiting_with_no_open_field": stuck,
    }


def run_once(
    workers: int, uploads: list[Upload], code: Path, args: argparse.Namespace
) -> dict[str, Any]:
    secret = secrets.token_hex(32)
    log_dir = OUT_DIR / f"logs-{workers}w"
    shutil.rmtree(log_dir, ignore_errors=True)
    n = len(uploads)
    budget = args.timeout_s or max(600.0, 30.0 * n / workers)
    print(f"== {workers} worker(s), {n} documents (logs: {log_dir})", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="ocr-load-") as tmp,
        WebhookReceiver(secret) as receiver,
    ):
        stack = Stack(workers, (code, Path(tmp), log_dir), secret, args.reviewers)
        with stack:
            print(f"   ready in {stack.timings}", flush=True)
            api = Api(stack.base_url, stack.token)
            load_before = os.getloadavg()
            t0 = time.time()
            subs = submit_all(
                api,
                uploads,
                clients=args.clients,
                callback_url=receiver.url,
                replay_every=args.replay_every,
                deadline=t0 + budget,
            )
            t_submitted = time.time()
            first = min((s.first_sent for s in subs if s.first_sent), default=t0)
            print(f"   submitted in {t_submitted - t0:.1f} s", flush=True)
            ids = {i for s in subs for i in s.ids}
            wait_processed(api, ids, deadline=t0 + budget)
            processed = details(api, sorted(ids))
            load_after = os.getloadavg()
            speed = checks.throughput(processed, first)
            print(f"   processed: {speed['pages_per_min']} pages/min", flush=True)
            review = review_until_done(stack, api, subs, deadline=time.time() + budget)
            final = list_documents(api)
            terminal = {d["id"] for d in final if d["status"] in checks.WEBHOOK_STATUSES}
            receiver.wait_for(terminal, deadline=time.time() + 120)
        deliveries = receiver.snapshot()
    keys = [u.key for u in uploads]
    answered = {s.upload.key: s.ids for s in subs}
    integrity = checks.integrity(keys, answered, final)
    hooks = checks.webhooks(final, deliveries)
    by_id = {d["id"]: d for d in final}
    hook_lag = [
        d["received"] - checks.at(by_id[d["document"]], "completed_at")
        for d in deliveries
        if d["document"] in by_id and by_id[d["document"]].get("completed_at")
    ]
    created = [c for s in subs for c in s.created]
    latencies = [x for s in subs for x in s.latencies]
    result = {
        "workers": workers,
        "throughput": speed,
        "post_latency_ms": checks.spread([x * 1000 for x in latencies], digits=0),
        "submission": {
            "seconds": round(t_submitted - first, 1),
            "posts_answered_202": len(latencies),
            "created_true": created.count(True),
            "created_false": created.count(False),
            "deliberate_replays": sum(s.replays for s in subs),
            "retries": sum(s.retries for s in subs),
            "errors": [f"{s.upload.key}: {s.error}" for s in subs if s.error][:10],
        },
        "status_after_processing": dict(sorted(Counter(d["status"] for d in processed).items())),
        "review": review,
        "integrity": integrity,
        "webhooks": {**hooks, "lag_after_completion_s": checks.spread(hook_lag, digits=2)},
        "passed": checks.passed(integrity, hooks) and not review.get("waiting_after"),
        "setup": stack.timings,
        "shutdown": stack.shutdown,
        "load_average_before_after": [
            [round(x, 2) for x in xs] for xs in (load_before, load_after)
        ],
    }
    verdict = "passed" if result["passed"] else "FAILED"
    print(f"   {verdict}: {json.dumps(integrity)} {json.dumps(hooks)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--workers", default="1,2", help="worker counts, one run each")
    parser.add_argument("--clients", type=int, default=4, help="submitting threads")
    parser.add_argument(
        "--reviewers", type=int, default=2, help=f"reviewing users, 0 to {len(REVIEWERS)}"
    )
    parser.add_argument("--replay-every", type=int, default=10, help="0: no deliberate replays")
    parser.add_argument("--seed", type=int, default=20_000)
    parser.add_argument("--timeout-s", type=float, default=0, help="per run (default: 30 s/doc)")
    parser.add_argument("--out", default=str(OUT_DIR / "load"), help="writes OUT.json, OUT.md")
    args = parser.parse_args(argv)
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.documents < 1 or not worker_counts or min(worker_counts) < 1 or args.clients < 1:
        parser.error("--documents, --workers and --clients must be positive")
    if not 0 <= args.reviewers <= len(REVIEWERS):
        parser.error(f"--reviewers: 0 to {len(REVIEWERS)}")
    # SIGTERM unwinds like Ctrl+C, so every process and server is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    t = time.time()
    uploads = make_uploads(args.documents, args.seed, OUT_DIR / "bills")
    print(f"{len(uploads)} uploads ready in {time.time() - t:.1f} s", flush=True)
    machine = machine_state()
    with tempfile.TemporaryDirectory(prefix="ocr-load-code-") as tmp:
        code = Path(tmp) / "code"
        tree = snapshot(code)
        runs = [run_once(w, uploads, code, args) for w in worker_counts]
    report = {
        "command": "bench/load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "documents": args.documents,
        "clients": args.clients,
        "reviewers": args.reviewers,
        "replay_every": args.replay_every,
        "upload_bytes": sum(len(u.data) for u in uploads),
        "code": tree,
        "machine_before": machine,
        "machine_after": machine_state(),
        "runs": runs,
        "passed": all(r["passed"] for r in runs),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
