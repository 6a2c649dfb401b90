"""The load run (bench/load.py): its checks catch a lost upload, a duplicate document and a webhook
delivered twice; and a small run on real PostgreSQL + Redis loses and repeats nothing."""

from __future__ import annotations

import glob
import json
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bench.load_checks import integrity, passed, percentile, throughput, webhooks

ROOT = Path(__file__).resolve().parents[2]


def doc(i, key, status="completed", **extra):
    return {"id": i, "external_id": key, "status": status, **extra}


def delivery(event, document, status="completed", ok=True):
    return {"event_id": event, "document": document, "document_status": status, "signature_ok": ok}


def test_percentile_is_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile(range(1, 101), 95) == 95


def test_integrity_counts_lost_duplicated_and_foreign_documents():
    docs = [doc(1, "a"), doc(2, "b"), doc(3, "b"), doc(4, "zz", "processing")]
    check = integrity(["a", "b", "c"], {"a": {1}, "b": {2}, "c": set()}, docs)
    assert (check["lost"], check["duplicated"], check["unexpected_documents"]) == (1, 1, 1)
    assert check["answers_naming_another_document"] == 1, "b's answers named 2, not {2, 3}"
    assert check["uploads_without_202"] == 1 and check["unfinished"] == 1


def test_a_clean_run_passes_and_a_repeated_webhook_fails_it():
    docs = [doc(1, "a"), doc(2, "b", "failed"), doc(3, "c", "needs_review")]
    check = integrity(["a", "b", "c"], {"a": {1}, "b": {2}, "c": {3}}, docs)
    clean = webhooks(docs, [delivery("e1", 1), delivery("e2", 2, "failed")])
    assert clean["expected"] == clean["delivered_once"] == 2
    assert not passed(check, clean), "a failed document fails the run"
    docs[1]["status"] = "completed"
    ok = webhooks(docs, [delivery("e1", 1), delivery("e2", 2)])
    assert passed(integrity(["a", "b", "c"], {"a": {1}, "b": {2}, "c": {3}}, docs), ok)
    twice = webhooks(docs, [delivery("e1", 1), delivery("e1", 1), delivery("e2", 2)])
    assert twice["duplicate_deliveries"] == 1 and twice["delivered_once"] == 1
    extra = webhooks(docs, [delivery("e1", 1), delivery("e3", 1), delivery("e4", 3, "x")])
    assert extra["missing"] == 1 and extra["documents_with_several_events"] == 1
    assert extra["events_for_documents_without_a_terminal_status"] == 1
    assert webhooks(docs, [delivery("e1", 1, ok=False)])["bad_signatures"] == 1


def test_throughput_runs_from_the_first_post_to_the_last_processed_document():
    t = "2025-01-01T00:00:{:02d}+00:00"
    docs = [
        doc(
            i,
            str(i),
            page_count=1,
            created_at=t.format(0),
            processing_started_at=t.format(2 * i),
            processed_at=t.format(2 * i + 2),
        )
        for i in range(3)
    ]
    speed = throughput(docs, datetime.fromisoformat(t.format(0)).timestamp())
    assert speed["wall_s"] == 6.0 and speed["pages_per_min"] == 30.0
    assert speed["recognition_s"]["p50"] == 2.0


def _servers_installed() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")) and bool(
        shutil.which("redis-server")
    )


@pytest.mark.slow
@pytest.mark.skipif(not _servers_installed(), reason="needs postgresql and redis-server")
def test_a_small_load_run_loses_and_repeats_nothing(tmp_path):
    out = tmp_path / "load"
    cmd = [sys.executable, "bench/load.py", "--documents", "6", "--workers", "1"]
    proc = subprocess.Popen(
        [*cmd, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        log, _ = proc.communicate(timeout=360)
    except subprocess.TimeoutExpired:
        proc.terminate()  # load.py unwinds on SIGTERM: its servers and processes stop
        log, _ = proc.communicate(timeout=120)
        pytest.fail(f"the load run took over 6 minutes:\n{log[-3000:]}")
    assert proc.returncode == 0, log[-3000:]
    report = json.loads(out.with_suffix(".json").read_text())
    (run,) = report["runs"]
    check, hooks = run["integrity"], run["webhooks"]
    assert check["uploads"] == check["documents"] == 6
    assert check["lost"] == check["duplicated"] == check["unfinished"] == check["failed"] == 0
    assert run["submission"]["created_false"] >= 1, "the deliberate replay answered created: false"
    assert run["review"]["waiting_after"] == 0, "review completed every document"
    assert hooks["expected"] == hooks["delivered_once"] == 6
    assert hooks["duplicate_deliveries"] == 0 and hooks["bad_signatures"] == 0
    assert not any(s["killed"] or s["leftover_processes"] for s in run["shutdown"].values())
    assert out.with_suffix(".md").exists() and report["passed"]
