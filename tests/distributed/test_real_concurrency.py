"""Races that only a real database server shows: threads with a connection each, and real workers.

On SQLite (the first pass) BEGIN IMMEDIATE serialises every writer, so most of these races cannot
happen there; on PostgreSQL (the second pass, scripts/test.sh) transactions really overlap under
READ COMMITTED, row locks are taken and skipped, and the broker is Redis.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker

from demo.render import render_bill
from documents import services as intake
from documents.models import Document, Event, Field
from processing.tasks import run_watchdog
from reviews import services
from reviews.exceptions import LeaseLost, NotUnderReview, ReviewError, StaleVersion
from reviews.models import Claim
from tests.distributed.workers import kill_cluster, start_cluster, wait_for
from tests.factories import document_with_fields, png

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]

OPEN_FIELDS = {
    "payer_name": ("张伟", 0.62, ["low_confidence"]),
    "amount": ("8,650.00", 0.71, ["low_confidence"]),
    "amount_in_words": ("捌仟陆佰伍拾元整", 0.7, ["low_confidence"]),
    "transaction_date": ("2024-03-07", 0.66, ["low_confidence"]),
}
DECISION_KINDS = ("field_confirmed", "field_corrected")


def clerks(n: int) -> list[User]:
    group = Group.objects.get_or_create(name="clerk")[0]
    users = [User.objects.create_user(f"clerk-{i}", password="pw") for i in range(n)]
    for user in users:
        user.groups.add(group)
    return users


def run_together(*targets, timeout: float = 120) -> list[BaseException]:
    """Start one thread per target, released at the same instant; errors come back as a list.

    Each thread uses (and closes) its own database connection, like a web or worker process.
    """
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target) -> None:
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} threads still waiting after {timeout} s: a deadlock"
    return errors


def test_eight_clerks_at_once_each_get_their_own_field_and_empty_the_queue(demo_types):
    docs = [document_with_fields(demo_types["bank_slip"], OPEN_FIELDS) for _ in range(5)]
    open_ids = set(
        Field.objects.filter(status=Field.Status.NEEDS_REVIEW).values_list("pk", flat=True)
    )
    assert len(open_ids) == 20
    first_claims: dict[str, int | None] = {}
    taken_by: dict[int, list[str]] = defaultdict(list)
    # Everyone holds a first field before anyone moves on: SQLite's busy wait is not fair, so a
    # fast clerk could otherwise empty the queue before a slow one has asked once.
    all_asked = threading.Barrier(8)

    def clerk_works(user: User):
        def work() -> None:
            field = services.claim_next(user)
            first_claims[user.username] = field.pk if field else None
            all_asked.wait(timeout=60)
            while field is not None:
                taken_by[field.pk].append(user.username)
                services.decide(field.pk, user, field.value, version=field.version)
                field = services.claim_next(user)

        return work

    errors = run_together(*(clerk_works(user) for user in clerks(8)))

    assert not errors, errors
    # 20 free fields for 8 clerks asking at the same instant: nobody may be told the queue is
    # empty (a clerk who locks a whole batch of candidates hides it from the others).
    assert all(first_claims.values()), first_claims
    assert len(set(first_claims.values())) == 8
    assert set(taken_by) == open_ids, "every field was reviewed"
    shared = {pk: names for pk, names in taken_by.items() if len(names) > 1}
    assert not shared, f"fields given to two clerks: {shared}"
    assert Event.objects.filter(kind__in=DECISION_KINDS).count() == 20
    # The last two fields of a document decided at the same moment still complete it, once.
    for doc in docs:
        doc.refresh_from_db()
        assert doc.status == Document.Status.COMPLETED, f"#{doc.pk} is {doc.status}"
        completed = Event.objects.filter(
            document=doc, kind="status_changed", after={"status": "completed"}
        )
        assert completed.count() == 1


def test_a_decision_racing_its_lease_expiry_has_exactly_one_winner(demo_types, clerk, clerk2):
    """The holder saves just as the lease runs out while another clerk re-claims the field."""
    docs = [document_with_fields(demo_types["bank_slip"], OPEN_FIELDS) for _ in range(3)]
    fields = list(Field.objects.filter(document__in=docs).order_by("pk"))
    rng = random.Random(15)
    winners: Counter[str] = Counter()
    for field in fields:
        services.claim(field.pk, clerk)
        # The lease ends a few milliseconds around the moment both clerks act.
        expires_in = rng.uniform(-0.005, 0.02)
        expiry = timezone.now() + timedelta(seconds=expires_in)
        Claim.objects.filter(field=field).update(locked_until=expiry)
        outcome: dict[str, object] = {}

        def holder_saves(field=field, outcome=outcome) -> None:
            try:
                outcome["clerk"] = services.decide(
                    field.pk, clerk, field.value, version=field.version
                )
            except ReviewError as exc:
                outcome["clerk"] = exc

        def other_reclaims(field=field, outcome=outcome, expiry=expiry) -> None:
            time.sleep(max(0.0, (expiry - timezone.now()).total_seconds()))
            try:
                services.claim(field.pk, clerk2)
                outcome["clerk2"] = services.decide(
                    field.pk, clerk2, field.value, version=field.version
                )
            except ReviewError as exc:
                outcome["clerk2"] = exc

        errors = run_together(holder_saves, other_reclaims)

        assert not errors, errors
        won = [name for name, result in outcome.items() if isinstance(result, services.Decision)]
        lost = [result for result in outcome.values() if isinstance(result, ReviewError)]
        assert len(won) == 1 and len(lost) == 1, outcome
        assert isinstance(lost[0], LeaseLost | StaleVersion | NotUnderReview), lost[0]
        winners[won[0]] += 1
        field.refresh_from_db()
        assert field.version == 2 and field.status == Field.Status.CONFIRMED
        decisions = Event.objects.filter(field=field, kind__in=DECISION_KINDS)
        assert decisions.count() == 1, "one decision, one audit event"
        assert decisions.get().actor.username == won[0]
        assert not Claim.objects.filter(field=field, user__isnull=False).exists()
    print(f"winners over {len(fields)} races: {dict(winners)}")
    for doc in docs:
        doc.refresh_from_db()
        assert doc.status == Document.Status.COMPLETED


def test_the_same_file_sent_twice_at_the_same_instant_makes_one_document(
    demo_types, settings, media_root
):
    settings.OCR_TASKS_SYNC = False  # count documents only; recognition is tested elsewhere
    for i in range(4):
        data = png(color=(250, 250, 240 - i))
        results: list[intake.IngestResult] = []

        def submit(data=data, results=results) -> None:
            results.append(intake.ingest(data, name="slip.png", document_type="bank_slip"))

        errors = run_together(submit, submit)

        assert not errors, errors
        assert sorted(r.created for r in results) == [False, True]
        assert results[0].document.pk == results[1].document.pk
    assert Document.objects.count() == 4
    assert Event.objects.filter(kind="document_received").count() == 4
    stored = [p for p in (media_root / "uploads").rglob("*") if p.is_file()]
    assert len(stored) == 4, "the loser's copy of the file is deleted"


@pytest.mark.slow
def test_a_worker_killed_mid_document_is_rescued_and_the_document_finishes_once(
    demo_types, media_root, settings
):
    """On Redis a task popped by a worker that dies is gone (the broker keeps no unacknowledged
    copy, unlike the ORM broker): the watchdog brings the document back. Same path on both."""
    settings.OCR_TASKS_SYNC = False
    # Tasks queued by earlier tests for documents long gone would only slow the worker down.
    get_broker(settings.Q_QUEUES["recognition"]).purge_queue()
    buffer = io.BytesIO()
    render_bill("bank_slip", 23).image.save(buffer, "PNG")
    doc = intake.ingest(buffer.getvalue(), name="slip.png", document_type="bank_slip").document

    cluster = start_cluster(media_root, "rescue-1")
    try:
        wait_for(lambda: Document.objects.filter(pk=doc.pk, status="processing").exists(), 120)
    finally:
        kill_cluster(cluster)
    doc.refresh_from_db()
    assert doc.status == Document.Status.PROCESSING and doc.fields.count() == 0

    # The watchdog's stuck window, shortened from minutes to seconds; it runs as the schedule would.
    settings.OCR_STUCK_AFTER_S = 2
    wait_for(lambda: run_watchdog()["requeued"], 30, 0.5)
    doc.refresh_from_db()
    assert doc.status == Document.Status.QUEUED

    cluster = start_cluster(media_root, "rescue-2")
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
    assert Event.objects.filter(document=doc, kind="recognition_finished").count() == 1
    assert (
        Event.objects.filter(
            document=doc, kind="status_changed", after={"status": "processing"}
        ).count()
        == 2
    )
