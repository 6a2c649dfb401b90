"""A real django-q2 cluster on the ORM broker: killed mid-task, and loaded with concurrent uploads.

These start `manage.py qcluster` subprocesses against the test database file, so they use
transactional tests (data committed, visible to other processes).
"""

from __future__ import annotations

import io
import signal
import threading
import time

import pytest
from django.db import connection

from demo.render import render_bill
from documents import services
from documents.models import Document, Event
from tests.distributed.workers import kill_cluster, start_cluster, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def bill_png(code: str, seed: int) -> bytes:
    buffer = io.BytesIO()
    render_bill(code, seed).image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def queued_settings(settings):
    settings.OCR_TASKS_SYNC = False
    return settings


def test_worker_killed_mid_task_finishes_the_document_exactly_once(
    demo_types, media_root, queued_settings
):
    doc = services.ingest(
        bill_png("bank_slip", 21), name="slip.png", document_type="bank_slip"
    ).document
    cluster = start_cluster(media_root, "crash-test-1")
    try:
        wait_for(lambda: Document.objects.filter(pk=doc.pk, status="processing").exists(), 120)
    finally:
        kill_cluster(cluster)  # SIGKILL to the whole cluster: the worker dies mid-task
    doc.refresh_from_db()
    assert doc.status == Document.Status.PROCESSING and doc.fields.count() == 0

    cluster = start_cluster(media_root, "crash-test-2")
    try:
        wait_for(
            lambda: Document.objects.filter(
                pk=doc.pk, status__in=["needs_review", "completed", "failed"]
            ).exists(),
            180,
            0.5,
        )
    finally:
        kill_cluster(cluster)
    doc.refresh_from_db()
    assert doc.status in (Document.Status.NEEDS_REVIEW, Document.Status.COMPLETED), doc.error
    assert doc.attempts == 2
    assert doc.fields.count() == demo_types["bank_slip"].fields.count()
    assert doc.fields.values("spec").distinct().count() == doc.fields.count()
    assert Event.objects.filter(document=doc, kind="recognition_finished").count() == 1
    assert (
        Event.objects.filter(
            document=doc, kind="status_changed", after={"status": "processing"}
        ).count()
        == 2
    )


@pytest.mark.distributed
def test_concurrent_uploads_while_the_cluster_works_never_lock_the_database(
    demo_types, media_root, queued_settings
):
    cluster = start_cluster(media_root, "load-test")
    errors: list[BaseException] = []
    created: list[int] = []
    payloads = [
        (code, bill_png(code, 100 + i))
        for i, code in enumerate(["bank_slip", "vat_invoice", "loan_application"] * 2)
    ]

    def upload(code: str, data: bytes) -> None:
        try:
            for _ in range(2):  # the same file twice: dedupe under concurrency
                result = services.ingest(data, name=f"{code}.png", document_type=code)
                if result.created:
                    created.append(result.document.pk)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    try:
        threads = [threading.Thread(target=upload, args=p) for p in payloads]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        assert sorted(created) == sorted(set(created)) and len(created) == len(payloads)
        wait_for(
            lambda: not Document.objects.filter(status__in=["queued", "processing"]).exists(),
            300,
            1.0,
        )
    finally:
        kill_cluster(cluster)
    statuses = set(Document.objects.values_list("status", flat=True))
    assert statuses <= {"needs_review", "completed"}, statuses


@pytest.mark.distributed
def test_sigterm_stops_the_cluster_in_seconds_and_leaves_nothing_claimed(
    demo_types, media_root, queued_settings
):
    docs = [
        services.ingest(
            bill_png("bank_slip", 300 + i), name=f"s{i}.png", document_type="bank_slip"
        ).document
        for i in range(4)
    ]
    cluster = start_cluster(media_root, "sigterm-test")
    try:
        wait_for(lambda: Document.objects.filter(status="processing").exists(), 120)
        asked = time.monotonic()
        cluster.send_signal(signal.SIGTERM)
        cluster.wait(timeout=60)
        stopped_in = time.monotonic() - asked
    finally:
        kill_cluster(cluster)
    print(f"cluster stopped {stopped_in:.1f} s after SIGTERM")
    # It finishes what its one worker holds (the document in hand and at most one waiting), no more.
    assert stopped_in < 30
    statuses = [Document.objects.get(pk=d.pk).status for d in docs]
    assert "processing" not in statuses, statuses
    assert statuses.count("queued") >= 1, "the rest of the queue stays for the next worker"
