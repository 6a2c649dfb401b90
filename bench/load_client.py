"""The load run's client side, standard library only: demo uploads, an API caller that retries,
submitting threads, the poller, a webhook receiver and reviewing threads. Every request goes to
127.0.0.1; every loop is bounded in count and in time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import io
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

TYPES = ("bank_slip", "loan_application", "vat_invoice")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_POST_ATTEMPTS = 8
MAX_PAGES = 100  # of 200 documents each when listing
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)


@dataclass
class Upload:
    index: int
    code: str
    name: str
    data: bytes
    truth: dict[str, str]

    @property
    def key(self) -> str:
        """Idempotency-Key and external_id: one per upload, the same on every retry."""
        return f"load-{self.index:05d}"


def make_uploads(n: int, seed: int, cache: Path) -> list[Upload]:
    """``n`` demo bills with their truth, the types in turn, every third of a type as a one-page
    PDF (as load_demo does); rendered once into ``cache`` and read from there afterwards."""
    from demo.render import bills_to_pdf, render_bill  # pure rendering, no Django set-up

    cache.mkdir(parents=True, exist_ok=True)
    uploads = []
    for i in range(n):
        code, bill_seed = TYPES[i % len(TYPES)], seed + i
        ext = "pdf" if (i // len(TYPES)) % 3 == 2 else "png"
        path, meta = cache / f"{code}-{bill_seed}.{ext}", cache / f"{code}-{bill_seed}.json"
        if not (path.exists() and meta.exists()):
            bill = render_bill(code, bill_seed)
            if ext == "pdf":
                data = bills_to_pdf([bill])
            else:
                buffer = io.BytesIO()
                bill.image.save(buffer, "PNG")
                data = buffer.getvalue()
            path.write_bytes(data)
            meta.write_text(json.dumps(bill.truth, ensure_ascii=False))
        truth = json.loads(meta.read_text())
        uploads.append(Upload(i, code, path.name, path.read_bytes(), truth))
    return uploads


class Answer(NamedTuple):
    status: int
    body: Any
    seconds: float
    retry_after: float | None


class Api:
    """JSON calls with a token to a server on 127.0.0.1."""

    def __init__(self, base: str, token: str) -> None:
        if urlsplit(base).hostname != "127.0.0.1":
            raise ValueError(f"the load run talks to 127.0.0.1 only, not {base}")
        self.base, self.token = base.rstrip("/"), token

    def call(
        self, method: str, path: str, body: Any = None, *, key: str = "", timeout: float = 120
    ) -> Answer:
        """The answer, whatever its status; transport errors (TRANSPORT_ERRORS) propagate."""
        headers = {"Authorization": f"Token {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, retry = response.status, response.read(), None
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
            retry = float(exc.headers.get("Retry-After") or 0) or None
        seconds = time.perf_counter() - started
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = {"code": "not_json", "detail": raw[:200].decode(errors="replace")}
        return Answer(status, parsed, seconds, retry)


@dataclass
class Submission:
    upload: Upload
    ids: set[int] = field(default_factory=set)
    created: list[bool] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    attempts: int = 0
    retries: int = 0
    replays: int = 0
    error: str = ""
    first_sent: float | None = None


def post_once_accepted(api: Api, sub: Submission, body: dict, deadline: float) -> bool:
    """POST until a 202, retrying transport errors, 5xx and 429 with the same key (bounded)."""
    for attempt in range(MAX_POST_ATTEMPTS):
        if time.time() > deadline:
            sub.error = "submission deadline passed"
            return False
        if attempt:
            sub.retries += 1
        sub.attempts += 1
        sub.first_sent = sub.first_sent or time.time()
        try:
            answer = api.call("POST", "/api/v1/documents/", body, key=sub.upload.key)
        except TRANSPORT_ERRORS as exc:
            sub.error = f"{type(exc).__name__}: {exc}"
            time.sleep(min(0.5 * 2**attempt, 5))
            continue
        if answer.status == 202:
            sub.ids.add(answer.body["id"])
            sub.created.append(bool(answer.body["created"]))
            sub.latencies.append(answer.seconds)
            sub.error = ""
            return True
        sub.error = f"HTTP {answer.status} {(answer.body or {}).get('code', '')}"
        if answer.status not in RETRY_STATUSES:
            return False
        time.sleep(min(answer.retry_after or 0.5 * 2**attempt, 5))
    return False


def submit_all(
    api: Api,
    uploads: list[Upload],
    *,
    clients: int,
    callback_url: str,
    replay_every: int,
    deadline: float,
) -> list[Submission]:
    """Each of ``clients`` threads posts its share; every ``replay_every``-th upload is posted a
    second time with the same key, as a client does that lost the first answer."""
    subs = [Submission(u) for u in uploads]

    def client(share: list[Submission]) -> None:
        for sub in share:
            u = sub.upload
            body = {
                "document_type": u.code,
                "image_base64": base64.b64encode(u.data).decode(),
                "file_name": u.name,
                "external_id": u.key,
                "callback_url": callback_url,
            }
            try:
                ok = post_once_accepted(api, sub, body, deadline)
                if ok and replay_every and u.index % replay_every == 0:
                    sub.replays += 1
                    post_once_accepted(api, sub, body, deadline)
            except Exception as exc:  # noqa: BLE001 - recorded: a dead thread would hide uploads
                sub.error = f"{type(exc).__name__}: {exc}"

    threads = [
        threading.Thread(target=client, args=(subs[t::clients],), daemon=True)
        for t in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, deadline - time.time()))
    return subs


def list_documents(api: Api) -> list[dict[str, Any]]:
    """Every document the client sees (summaries), all pages."""
    docs: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        answer = api.call("GET", f"/api/v1/documents/?page_size=200&page={page}")
        if answer.status != 200:
            raise RuntimeError(f"listing documents: HTTP {answer.status} {answer.body}")
        docs += answer.body["results"]
        if not answer.body.get("next"):
            return docs
    raise RuntimeError(f"more than {MAX_PAGES} pages of documents")


def wait_processed(
    api: Api, ids: set[int], deadline: float, interval: float = 1.0
) -> list[dict[str, Any]]:
    """Poll the list until every id has left queued/processing; the last listing either way."""
    docs: list[dict[str, Any]] = []
    while True:
        try:
            docs = list_documents(api)
        except (RuntimeError, *TRANSPORT_ERRORS):
            pass  # a slow answer under load is no reason to stop watching
        status = {d["id"]: d["status"] for d in docs}
        if all(status.get(i) in ("needs_review", "completed", "failed") for i in ids):
            return docs
        if time.time() > deadline:
            return docs
        time.sleep(interval)


def details(api: Api, ids: list[int]) -> list[dict[str, Any]]:
    """The full document JSON of each id (404s and errors are left out, and so count as lost)."""
    out = []
    for i in ids:
        for _attempt in range(3):
            try:
                answer = api.call("GET", f"/api/v1/documents/{i}/")
            except TRANSPORT_ERRORS:
                continue
            if answer.status == 200:
                out.append(answer.body)
            break
    return out


class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 that records every delivery and checks its signature."""

    def __init__(self, secret: str) -> None:
        self.deliveries: list[dict[str, Any]] = []
        lock = threading.Lock()
        record = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                size = min(int(self.headers.get("Content-Length") or 0), 20_000_000)
                body = self.rfile.read(size)
                stamp = self.headers.get("X-OCR-Timestamp", "")
                expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
                try:
                    doc = json.loads(body)["document"]
                except (ValueError, KeyError, TypeError):
                    doc = {}
                entry = {
                    "event_id": self.headers.get("X-OCR-Event-Id", ""),
                    "type": self.headers.get("X-OCR-Event-Type", ""),
                    "document": doc.get("id"),
                    "document_status": doc.get("status"),
                    "completed_at": doc.get("completed_at"),
                    "received": time.time(),
                    "signature_ok": hmac.compare_digest(
                        "sha256=" + expected.hexdigest(), self.headers.get("X-OCR-Signature", "")
                    ),
                }
                with lock:
                    record.append(entry)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ocr-hook"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._lock = lock

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.deliveries)

    def wait_for(self, ids: set[int], deadline: float, settle_s: float = 3.0) -> None:
        """Until every id has a delivery (bounded), then ``settle_s`` more to catch repeats."""
        while time.time() < deadline:
            if ids <= {d["document"] for d in self.snapshot()}:
                break
            time.sleep(0.5)
        time.sleep(settle_s)


def review_all(
    apis: list[Api], truth: dict[int, dict[str, str]], *, deadline: float, limit: int
) -> dict[str, float]:
    """Clerks (one thread per API client, each bound to its own reviewing user) take fields from
    the review queue and enter the true value until each is told the queue is empty; that
    completes every document. ``limit``: fields per clerk at most."""
    counts: dict[str, float] = {
        "decisions": 0,
        "corrected": 0,
        "overridden": 0,
        "conflicts": 0,
        "errors": 0,
    }
    lock = threading.Lock()
    started = time.time()

    def bump(name: str) -> None:
        with lock:
            counts[name] += 1

    def clerk(api: Api) -> None:
        for _turn in range(limit):  # one field a turn; the queue empties long before
            if time.time() > deadline:
                return
            try:
                answer = api.call("POST", "/api/v1/review/next", {})
                if answer.status == 204:
                    return
                if answer.status != 200:
                    bump("errors")
                    time.sleep(0.5)
                    continue
                f = answer.body
                value = truth.get(f["document"], {}).get(f["key"], f["value"] or "")
                body = {"value": value, "version": f["version"], "seconds": 1.0}
                path = f"/api/v1/review/fields/{f['id']}/decision"
                decided = api.call("POST", path, body)
                if decided.status == 422:
                    bump("overridden")
                    decided = api.call("POST", path, {**body, "override_reason": "load bench"})
                if decided.status == 200:
                    bump("decisions")
                    if value != f["value"]:
                        bump("corrected")
                else:
                    bump("conflicts" if decided.status == 409 else "errors")
            except TRANSPORT_ERRORS:
                bump("errors")
                time.sleep(0.5)

    workers = [threading.Thread(target=clerk, args=(api,), daemon=True) for api in apis]
    for w in workers:
        w.start()
    for w in workers:
        w.join(max(1.0, deadline - time.time()))
    counts["seconds"] = round(time.time() - started, 1)
    return counts
