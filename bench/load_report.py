"""bench/load.py's report as Markdown: the table, the checks, and the machine it ran on."""

from __future__ import annotations

from typing import Any


def _pair(spread: dict[str, Any], digits: int = 0) -> str:
    if spread.get("p50") is None:
        return "-"
    fmt = f"{{:.{digits}f}}"
    return f"{fmt.format(spread['p50'])} / {fmt.format(spread['p95'])}"


def _row(run: dict[str, Any]) -> str:
    t, i, w, s = run["throughput"], run["integrity"], run["webhooks"], run["submission"]
    cells = [
        run["workers"],
        t["documents"],
        t["pages"],
        t["pages_per_min"],
        t["wall_s"],
        _pair(run["post_latency_ms"]),
        _pair(t["recognition_s"], 2),
        i["lost"],
        i["duplicated"],
        f"{i['documents'] - i['unfinished']} / {i['uploads']}",
        i["failed"],
        f"{w['expected']} / {w['delivered_once']} / {w['duplicate_deliveries']}",
        f"{s['created_false']} ({s['deliberate_replays']} replays, {s['retries']} retries)",
        "yes" if run["passed"] else "**no**",
    ]
    return "| " + " | ".join(str(c) for c in cells) + " |"


HEADER = (
    "| workers | documents | pages | pages/min | wall (s) | POST latency p50 / p95 (ms) "
    "| recognition s/doc p50 / p95 | lost | duplicated | processed | failed "
    "| webhooks expected / delivered once / repeated | `created: false` answers | passed |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _stuck(review: dict[str, Any]) -> str:
    stuck = review.get("waiting_with_no_open_field") or []
    return f" (with no field open, stuck: {stuck})" if stuck else ""


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items()) or "none"


def _machine(m: dict[str, Any]) -> list[str]:
    lines = [
        f"- {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB, Python {m['python']}; "
        f"load average (1/5/15 min) {m['load_average_1_5_15']}",
        "- other processes at 5% CPU or more (%CPU, RSS KB, command):",
    ]
    lines += [f"  - `{p}`" for p in m["busiest_processes_pcpu_rss_kb_args"]]
    return lines


def markdown(report: dict[str, Any]) -> str:
    runs = report["runs"]
    before = report["machine_before"]
    busy = before["load_average_1_5_15"][0] > 0.5 * (before["cpus"] or 1)
    out = [
        "# Load run: API clients → gunicorn → PostgreSQL + Redis → N recognition workers",
        "",
        f"`{report['command']}` on {report['date']}, code at {report['code']['commit']} with "
        f"{report['code']['uncommitted_paths']} uncommitted paths (copied at the start): "
        f"{report['documents']} demo bills "
        f"({report['upload_bytes'] / 1e6:.0f} MB) posted by {report['clients']} client threads, "
        f"Idempotency-Key per upload, every {report['replay_every']}th posted twice; "
        f"{report['reviewers']} clerks (a thread each) then clear the review queue through the "
        "API.",
        "",
        HEADER,
        *[_row(r) for r in runs],
        "",
        "- **pages/min**: pages from the first POST to the last `processed_at` (model loading in "
        "each fresh worker included); **recognition s/doc**: `processed_at - "
        "processing_started_at` from the document JSON; **POST latency**: every answered 202.",
        "- **lost / duplicated**: uploads (by Idempotency-Key = `external_id`) with no document, "
        "or more than one, in the client's document list; every 202 answer for a key named the "
        "same document, and retries/replays answered `created: false`.",
        "- **webhooks**: after review every document is `completed`; each must have exactly one "
        "event for that status (HMAC verified), delivered once (repeated = same "
        "`X-OCR-Event-Id` received again); `needs_review` sends none (documents/notify.py).",
        "",
        "## Per run",
        "",
    ]
    for r in runs:
        t, s, w, up = r["throughput"], r["submission"], r["webhooks"], r["setup"]
        rv = r["review"] or {}
        out += [
            f"**{r['workers']} worker(s)**: servers up in {up['services_s']} s, migrate + demo "
            f"types + API clients {up['setup_s']} s, web and clusters ready "
            f"{up['processes_ready_s']} s. {s['posts_answered_202']} POSTs answered 202 within "
            f"{s['seconds']} s (max {r['post_latency_ms']['max']:.0f} ms); first recognition "
            f"started {t['first_recognition_start_s']} s after the first POST; queue wait "
            f"p50/p95 {_pair(t['queue_wait_s'], 1)} s; documents a worker had to retry: "
            f"{t['attempts_over_1']}. After recognition: {_counts(r['status_after_processing'])}; "
            f"review by {rv.get('reviewers', 0)} clerks: {rv.get('decisions', 0)} decisions "
            f"({rv.get('corrected', 0)} corrected to the truth, {rv.get('overridden', 0)} "
            f"overridden, {rv.get('conflicts', 0)} conflicts, {rv.get('errors', 0)} errors) in "
            f"{rv.get('seconds', 0)} s, {rv.get('passes', 0)} pass(es), "
            f"{rv.get('waiting_after', 0)} document(s) still waiting"
            f"{_stuck(rv)}; final: "
            f"{_counts(r['integrity']['statuses'])}. Webhook received p50/p95 "
            f"{_pair(w['lag_after_completion_s'], 2)} s after completion. Shutdown (SIGTERM): "
            + ", ".join(
                f"{name} {v['seconds']} s{' (killed)' if v['killed'] else ''}"
                + (" (left processes)" if v["leftover_processes"] else "")
                for name, v in r["shutdown"].items()
            )
            + f". Load average before/after: {r['load_average_before_after']}.",
            "",
        ]
        if s["errors"]:
            out += ["Submission errors: " + "; ".join(s["errors"]), ""]
    out += ["## Machine", "", "Before:", *_machine(before), "", "After:"]
    out += [*_machine(report["machine_after"]), ""]
    if busy:
        out += [
            "**The machine was shared while this ran** (load average above half its cores, "
            "other jobs listed above): web, database, Redis, clients and workers all competed "
            "for the same cores with them, so pages/min here are lower, and the gain from a "
            "second worker smaller, than on an idle machine; compare with the idle-machine "
            "figures in e2e.md. The checks (nothing lost, duplicated or delivered twice) do "
            "not depend on the load.",
            "",
        ]
        if len(runs) > 1:
            first, last = runs[0], runs[-1]
            speed = [r["throughput"]["pages_per_min"] or 0 for r in (first, last)]
            secs = [r["throughput"]["recognition_s"]["p50"] or 0 for r in (first, last)]
            line = (
                f"From {first['workers']} to {last['workers']} workers, pages/min went "
                f"{speed[0]} → {speed[1]} and recognition seconds per document (p50) "
                f"{secs[0]:.2f} → {secs[1]:.2f}"
            )
            if speed[0] and speed[1] < 1.3 * speed[0]:
                line += (
                    f": on {before['cpus']} cores already busy, the extra worker took turns "
                    "with the first on the same cores instead of adding capacity"
                )
            out += [line + ".", ""]
    return "\n".join(out)
