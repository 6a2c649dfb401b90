"""Leases, decisions and the audit trail of the review queue, through the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from documents.models import Document, Event, Field
from reviews import services
from reviews.exceptions import LeaseLost, NotUnderReview, RulesStillFail, StaleVersion
from reviews.models import Claim
from tests.factories import document_with_fields

pytestmark = pytest.mark.distributed


@pytest.fixture
def slip(demo_types):
    return document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.62, ["low_confidence"]),
            "amount": ("8,650.00", 0.99, []),
            "amount_in_words": ("捌仟陆佰伍拾元整", 0.7, ["low_confidence"]),
            "transaction_date": ("2024-03-07", 0.99, []),
        },
    )


def test_second_clerk_gets_a_different_field(slip, clerk, clerk2):
    first = services.claim_next(clerk)
    second = services.claim_next(clerk2)
    assert first is not None and second is not None
    assert first.pk != second.pk
    assert services.claim_next(clerk).pk == first.pk, "a clerk gets back the field they hold"


def test_queue_runs_dry_when_every_field_is_held(slip, clerk, clerk2, outsider):
    services.claim_next(clerk)
    services.claim_next(clerk2)
    assert services.claim_next(outsider) is None


def test_expired_lease_returns_the_field_to_the_queue(slip, clerk, clerk2):
    field = services.claim_next(clerk)
    Claim.objects.filter(field=field).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert services.claim_next(clerk2).pk == field.pk, "the oldest free field is the expired one"


def test_expired_lease_cannot_save_after_another_clerk_took_the_field(slip, clerk, clerk2):
    field = services.claim_next(clerk)
    Claim.objects.filter(field=field).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert services.claim(field.pk, clerk2).pk == field.pk
    with pytest.raises(LeaseLost):
        services.decide(field.pk, clerk, field.value, version=field.version)


def test_heartbeat_extends_a_live_lease_only(slip, clerk, clerk2):
    field = services.claim_next(clerk)
    before = Claim.objects.get(field=field).locked_until
    assert services.heartbeat(field.pk, clerk)
    assert Claim.objects.get(field=field).locked_until >= before
    assert not services.heartbeat(field.pk, clerk2)


def test_supervisor_force_release_frees_the_field_and_is_audited(slip, clerk, clerk2, supervisor):
    field = services.claim_next(clerk)
    assert services.force_release(field.pk, supervisor)
    assert services.claim(field.pk, clerk2).pk == field.pk
    released = Event.objects.get(kind="claim_force_released", field=field, actor=supervisor)
    assert released.before == {"held_by": clerk.username}, "the audit names whose hold was taken"
    with pytest.raises(LeaseLost):
        services.decide(field.pk, clerk, "张伟", version=field.version)


def test_stale_version_is_refused_not_overwritten(slip, clerk):
    field = services.claim_next(clerk)
    Field.objects.filter(pk=field.pk).update(version=field.version + 1, value="李娜")
    with pytest.raises(StaleVersion):
        services.decide(field.pk, clerk, "王芳", version=field.version)
    assert Field.objects.get(pk=field.pk).value == "李娜"


def test_unchanged_value_confirms_and_changed_value_corrects(slip, clerk):
    name = Field.objects.get(document=slip, spec__key="payer_name")
    services.claim(name.pk, clerk)
    decision = services.decide(name.pk, clerk, "张伟", version=name.version, seconds=3.2)
    assert decision.status == Field.Status.CONFIRMED
    words = Field.objects.get(document=slip, spec__key="amount_in_words")
    services.claim(words.pk, clerk)
    decision = services.decide(words.pk, clerk, "捌仟陆佰伍拾元整", version=words.version)
    assert decision.status == Field.Status.CONFIRMED


def test_correction_writes_an_audit_event_with_ocr_text_model_and_time(slip, clerk):
    field = Field.objects.get(document=slip, spec__key="payer_name")
    services.claim(field.pk, clerk)
    services.decide(field.pk, clerk, "张玮", version=field.version, seconds=4.5)
    field.refresh_from_db()
    assert field.status == Field.Status.CORRECTED and field.value == "张玮"
    event = Event.objects.get(kind="field_corrected", field=field)
    assert event.actor == clerk
    assert event.before["value"] == "张伟" and event.before["raw_text"] == "张伟"
    assert event.before["confidence"] == pytest.approx(0.62)
    assert "model_version" in event.before
    assert event.after == {"value": "张玮", "status": "corrected"}
    assert event.detail["seconds"] == 4.5


def test_value_that_still_breaks_a_rule_is_refused_unless_overridden(slip, clerk):
    words = Field.objects.get(document=slip, spec__key="amount_in_words")
    services.claim(words.pk, clerk)
    with pytest.raises(RulesStillFail) as info:
        services.decide(words.pk, clerk, "捌仟元整", version=words.version)
    assert info.value.detail["failures"][0]["code"] == "amount_words_mismatch"
    decision = services.decide(
        words.pk, clerk, "捌仟元整", version=words.version, override_reason="printed like this"
    )
    assert decision.status == Field.Status.CORRECTED
    assert (
        Event.objects.get(field=words, kind="field_corrected").detail["override_reason"]
        == "printed like this"
    )


def test_document_completes_when_its_last_field_is_decided(slip, clerk):
    for field in Field.objects.filter(document=slip, status=Field.Status.NEEDS_REVIEW):
        services.claim(field.pk, clerk)
        decision = services.decide(field.pk, clerk, field.value, version=field.version)
    assert decision.document_completed
    slip.refresh_from_db()
    assert slip.status == Document.Status.COMPLETED and slip.completed_at is not None
    assert (
        Event.objects.filter(
            document=slip, kind="status_changed", after={"status": "completed"}
        ).count()
        == 1
    )


def test_decided_field_cannot_be_decided_twice(slip, clerk):
    field = services.claim_next(clerk)
    services.decide(field.pk, clerk, field.value, version=field.version)
    with pytest.raises(NotUnderReview):
        services.decide(field.pk, clerk, field.value, version=field.version + 1)


def test_queue_filters_by_reason_and_kind(slip, clerk):
    from reviews import queries

    assert queries.open_fields(reason="low_confidence").count() == 2
    assert queries.open_fields(kind="amount_in_words").count() == 1
    assert queries.open_fields(reason="id_checksum").count() == 0


def test_a_release_names_the_hold_it_gives_back(slip, clerk, client):
    """A reloaded page claims the field afresh before the old page's release beacon lands: the
    beacon names its own hold and leaves the new one alone."""
    from django.urls import reverse

    field = services.claim_next(clerk)
    old = Claim.objects.get(field=field).claimed_at
    services.claim(field.pk, clerk)  # the reload
    new = Claim.objects.get(field=field).claimed_at
    assert new != old
    client.force_login(clerk)
    url = reverse("review-release", args=[field.pk])
    assert client.post(url, {"claimed": old.isoformat()}).status_code == 200
    assert Claim.objects.get(field=field).user == clerk, "the old page released the new hold"
    assert client.post(url, {"claimed": "yesterday"}).status_code == 400
    assert client.post(url, {"claimed": new.isoformat()}).status_code == 200
    assert Claim.objects.get(field=field).user is None
