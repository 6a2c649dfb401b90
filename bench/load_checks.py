"""The load run's arithmetic, pure: percentiles, throughput, and the checks that nothing was lost
or duplicated (uploads → documents, documents → finished, terminal documents → one webhook)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

PROCESSED = frozenset({"needs_review", "completed", "failed"})
# Only these statuses write a webhook (documents/notify.py); needs_review waits for a clerk.
WEBHOOK_STATUSES = frozenset({"completed", "failed"})


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def spread(values: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """n, p50, p95 and max of ``values``, rounded."""

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, digits)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "max": r(max(values) if values else None),
    }


def epoch(iso: str | None) -> float | None:
    return None if not iso else datetime.fromisoformat(iso).timestamp()


def at(doc: dict[str, Any], key: str) -> float:
    return datetime.fromisoformat(doc[key]).timestamp()


def finished_at(doc: dict[str, Any]) -> float | None:
    """When recognition ended: processed_at, or updated_at for a document that failed."""
    if doc.get("processed_at"):
        return epoch(doc["processed_at"])
    if doc.get("status") == "failed":
        return epoch(doc.get("updated_at"))
    return None


def throughput(docs: Sequence[dict[str, Any]], first_submit: float) -> dict[str, Any]:
    """Pages and documents per minute from the first submission to the last document processed,
    and per-document seconds (queue wait, recognition) from the document JSON."""
    ends = [t for t in (finished_at(d) for d in docs) if t is not None]
    pages = sum(int(d.get("page_count") or 0) for d in docs)
    wall = (max(ends) - first_submit) if ends else None

    def per_min(n: int) -> float | None:
        return round(n * 60 / wall, 1) if wall and wall > 0 else None

    started = [d for d in docs if d.get("processing_started_at")]
    recognition = [
        at(d, "processed_at") - at(d, "processing_started_at")
        for d in started
        if d.get("processed_at")
    ]
    waits = [at(d, "processing_started_at") - at(d, "created_at") for d in started]
    starts = [at(d, "processing_started_at") for d in started]
    return {
        "documents": len(docs),
        "pages": pages,
        "wall_s": None if wall is None else round(wall, 1),
        "pages_per_min": per_min(pages),
        "documents_per_min": per_min(len(docs)),
        "first_recognition_start_s": (round(min(starts) - first_submit, 1) if starts else None),
        "recognition_s": spread(recognition),
        "queue_wait_s": spread(waits, digits=1),
        "attempts_over_1": sum(1 for d in docs if int(d.get("attempts") or 0) > 1),
    }


def integrity(
    keys: Sequence[str],
    answered: dict[str, set[int]],
    docs: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """Every upload (by its external_id = idempotency key) has exactly one document, every answer
    for one key named that document, and every document belongs to an upload.

    ``answered``: for each key, the document ids its 202 answers named (first post, retries and
    deliberate replays); ``docs``: every document the client can list.
    """
    by_key: dict[str, list[int]] = defaultdict(list)
    for doc in docs:
        by_key[doc.get("external_id") or ""].append(doc["id"])
    wanted = set(keys)
    lost = sorted(k for k in keys if not by_key.get(k))
    duplicated = sorted(k for k in keys if len(by_key.get(k, ())) > 1)
    unexpected = sorted(k for k in by_key if k not in wanted)
    mismatched = sorted(
        k for k in keys if answered.get(k) and answered[k] != set(by_key.get(k, ()))
    )
    unanswered = sorted(k for k in keys if not answered.get(k))
    statuses = Counter(d["status"] for d in docs)
    return {
        "uploads": len(keys),
        "documents": len(docs),
        "lost": len(lost),
        "duplicated": len(duplicated),
        "unexpected_documents": len(unexpected),
        "answers_naming_another_document": len(mismatched),
        "uploads_without_202": len(unanswered),
        "unfinished": sum(n for s, n in statuses.items() if s not in PROCESSED),
        "failed": statuses.get("failed", 0),
        "statuses": dict(sorted(statuses.items())),
        "examples": {"lost": lost[:5], "duplicated": duplicated[:5], "unexpected": unexpected[:5]},
    }


def webhooks(docs: Sequence[dict[str, Any]], deliveries: Sequence[dict[str, Any]]) -> dict:
    """Each completed or failed document got exactly one event for that status, each event was
    delivered once, every signature verified, and no other document got an event."""
    events: dict[int, set[str]] = defaultdict(set)
    terminal: dict[int, set[str]] = defaultdict(set)
    per_event = Counter(d["event_id"] for d in deliveries)
    status_of = {d["id"]: d["status"] for d in docs}
    for d in deliveries:
        events[d["document"]].add(d["event_id"])
        if d["document_status"] == status_of.get(d["document"]):
            terminal[d["document"]].add(d["event_id"])
    expected = [i for i, s in status_of.items() if s in WEBHOOK_STATUSES]
    once = [
        i
        for i in expected
        if len(events.get(i, ())) == 1
        and all(per_event[e] == 1 for e in terminal.get(i, ()))
        and terminal.get(i)
    ]
    return {
        "expected": len(expected),
        "delivered_once": len(once),
        "deliveries": len(deliveries),
        "events": len(per_event),
        "missing": sum(1 for i in expected if not terminal.get(i)),
        "documents_with_several_events": sum(1 for i in expected if len(events.get(i, ())) > 1),
        "duplicate_deliveries": sum(n - 1 for n in per_event.values() if n > 1),
        "events_for_documents_without_a_terminal_status": sum(
            1 for i in events if status_of.get(i) not in WEBHOOK_STATUSES
        ),
        "bad_signatures": sum(1 for d in deliveries if not d["signature_ok"]),
    }


def passed(check: dict[str, Any], hooks: dict[str, Any]) -> bool:
    """The load run's verdict: nothing lost, duplicated, unfinished or failed; every webhook
    delivered once."""
    zero = (
        "lost",
        "duplicated",
        "unexpected_documents",
        "answers_naming_another_document",
        "uploads_without_202",
        "unfinished",
        "failed",
    )
    hook_zero = (
        "missing",
        "documents_with_several_events",
        "duplicate_deliveries",
        "events_for_documents_without_a_terminal_status",
        "bad_signatures",
    )
    return all(check[k] == 0 for k in zero) and all(hooks[k] == 0 for k in hook_zero)
