"""API personas: two upstream systems with their tokens, and a real HTTP receiver for webhooks."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.callers import Caller, Received, Receiver, make_caller


@pytest.fixture(autouse=True)
def _no_recognition_and_fresh_rates(settings):
    """Submissions stay queued (no OCR in these tests); throttle counts start from zero."""
    settings.OCR_TASKS_SYNC = False
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client(demo_types) -> Caller:
    """The loan system: may submit bank slips and VAT invoices."""
    return make_caller("loan-system", webhook_secret="loan-secret")


@pytest.fixture
def other_client(demo_types) -> Caller:
    """Another upstream system, allowed the same types."""
    return make_caller("ticket-system", webhook_secret="ticket-secret")


@pytest.fixture
def api(api_client) -> APIClient:
    return api_client.http()


@pytest.fixture
def receiver(settings):
    """A webhook endpoint on 127.0.0.1, which the operator allows (loopback is refused else)."""
    settings.API_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1"]
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.received.append(Received(headers, body))
            code = state.answers.pop(0) if state.answers else 200
            reply = b'{"ok": true}' if code < 300 else b"receiver is down"
            self.send_response(code)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/ocr-hook"
    yield state
    server.shutdown()
    server.server_close()
