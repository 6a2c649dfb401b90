"""Blind second checks: a share of auto-accepted fields (and every field of a new model version's
first documents) goes back to the queue as an ordinary field; what the clerk does with it measures
the automation's real error rate, shown on the dashboard with a 95 % interval against the type's
target."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents import second_checks, services
from documents.models import Document, Field, SecondCheck
from recognition.models import ModelVersion
from reviews import error_rates
from reviews import services as reviews
from tests.factories import document_with_fields

S = Field.Status


@pytest.fixture
def checks_on(settings):
    settings.REVIEW_SECOND_CHECKS = True


def test_the_draw_is_repeatable_and_hits_its_rate():
    first = [second_checks.drawn(doc, 3, 0.1) for doc in range(20_000)]
    assert first == [second_checks.drawn(doc, 3, 0.1) for doc in range(20_000)]
    assert 0.09 < sum(first) / len(first) < 0.11
    assert not any(second_checks.drawn(doc, 3, 0.0) for doc in range(1000))
    assert all(second_checks.drawn(doc, 3, 1.0) for doc in range(1000))


def test_wilson_interval():
    # No error in 10 checks still allows up to z²/(n+z²) = 27.8 %: few checks prove little.
    low, high = error_rates.wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(3.8415 / 13.8415, abs=1e-4)
    low, high = error_rates.wilson(3, 1000)
    assert low < 0.003 < high and high == pytest.approx(0.00880, abs=2e-4)
    # Mirror image: the interval of k wrong is one minus that of n - k wrong.
    a, b = error_rates.wilson(7, 40)
    c, d = error_rates.wilson(33, 40)
    assert a == pytest.approx(1 - d) and b == pytest.approx(1 - c)


@pytest.fixture
def checked_slip(checks_on, demo_types, rendered_bills, django_capture_on_commit_callbacks):
    slip = demo_types["bank_slip"]
    slip.second_check_rate = 1.0
    slip.save()
    data, _bill = rendered_bills["bank_slip"]
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.ingest(data, name="slip.png", document_type="bank_slip").document
    doc.refresh_from_db()
    return doc


def test_every_auto_accepted_field_of_a_fully_sampled_type_waits_for_a_blind_check(checked_slip):
    fields = list(checked_slip.fields.select_related("spec"))
    checks = {c.field_id: c for c in SecondCheck.objects.all()}
    assert checks, "the rendered slip has fields the model reads confidently"
    assert not [f for f in fields if f.status == S.AUTO_ACCEPTED]
    for field in fields:
        if field.pk in checks:
            assert field.status == S.NEEDS_REVIEW and field.reason_codes == ["second_check"]
            check = checks[field.pk]
            assert check.reason == SecondCheck.Reason.SAMPLE
            assert check.accepted_value == (field.normalized or field.value)
            assert check.field_kind == field.spec.kind and check.model_version is not None
    assert checked_slip.status == Document.Status.NEEDS_REVIEW


def test_a_rerun_keeps_the_checks_without_drawing_twice(
    checked_slip, supervisor, django_capture_on_commit_callbacks
):
    before = set(SecondCheck.objects.values_list("field_id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rerun_recognition(checked_slip, actor=supervisor)
    assert set(SecondCheck.objects.values_list("field_id", flat=True)) == before
    flagged = Field.objects.filter(pk__in=before)
    assert {f.reason_codes[0] for f in flagged} == {"second_check"}


def test_the_clerk_is_not_told_and_the_outcome_is_measured(checked_slip, clerk, supervisor, client):
    first, second = [c.field for c in SecondCheck.objects.select_related("field")[:2]]
    client.force_login(clerk)
    page = client.get(reverse("review-field", args=[first.pk])).content.decode()
    assert "Check this value against the image." in page
    assert 'class="conf"' not in page and "Auto-accepted" not in page
    queue = client.get(reverse("queue")).content.decode()
    assert "Check this value against the image." in queue

    first.refresh_from_db()
    reviews.decide(first.pk, clerk, first.value, version=first.version)
    reviews.claim(second.pk, clerk)
    second.refresh_from_db()
    reviews.decide(
        second.pk, clerk, second.value + "9", version=second.version, override_reason="x"
    )
    outcomes = dict(SecondCheck.objects.values_list("field_id", "outcome"))
    assert outcomes[first.pk] == SecondCheck.Outcome.AGREED
    assert outcomes[second.pk] == SecondCheck.Outcome.CORRECTED

    (slip,) = error_rates.error_rates()
    assert (slip.total.checked, slip.total.wrong) == (2, 1)
    assert slip.total.pending == SecondCheck.objects.count() - 2
    # 1 wrong of 2: even the interval's lower end (9.5 %) is far above the 0.3 % target.
    assert slip.total.surely_above_target and slip.total.low == pytest.approx(0.0945, abs=1e-3)
    assert sum(r.checked for r in slip.by_kind) == 2
    assert [r.checked for r in slip.by_version] == [2]

    client.force_login(supervisor)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "blind second checks" in dashboard and "50.0 %" in dashboard
    drill = client.get(reverse("second-checks") + "?" + slip.total.query + "&outcome=corrected")
    assert drill.status_code == 200
    assert list(drill.context["checks"]) == [SecondCheck.objects.get(field=second)]
    assert second.value + "9" in drill.content.decode()


def _versions():
    old = ModelVersion.objects.create(kind="general", name="v-old", checkpoint="a", sha256="a" * 64)
    new = ModelVersion.objects.create(kind="general", name="v-new", checkpoint="b", sha256="b" * 64)
    return old, new


def _read_by(doc_type, version) -> Document:
    doc = document_with_fields(
        doc_type, {"payer_name": ("张伟", 0.99, []), "amount": ("8,650.00", 0.99, [])}
    )
    doc.fields.update(model_version=version)
    return doc


def test_a_new_model_versions_first_documents_are_checked_in_full(checks_on, demo_types):
    slip = demo_types["bank_slip"]
    slip.second_check_rate, slip.second_check_first_documents = 0.0, 2
    slip.save()
    old, new = _versions()
    second_checks.sample(_read_by(slip, old), {"general": old})
    assert not SecondCheck.objects.exists(), "the first model a type sees replaced nothing"
    flagged = []
    for _ in range(3):
        doc = _read_by(slip, new)
        flagged.append(second_checks.sample(doc, {"general": new}))
    assert flagged == [2, 2, 0]
    assert set(SecondCheck.objects.values_list("reason", flat=True)) == {"new_model"}


def test_the_dashboard_warns_when_the_measured_rate_is_above_target(checks_on, demo_types):
    slip = demo_types["bank_slip"]
    _old, new = _versions()
    for i in range(10):
        doc = _read_by(slip, new)
        field = doc.fields.first()
        SecondCheck.objects.create(
            field=field,
            document_type=slip,
            field_kind=field.spec.kind,
            model_version=new,
            reason="sample",
            accepted_value=field.value,
            outcome="corrected" if i < 2 else "agreed",
        )
    (row,) = error_rates.error_rates()
    assert row.total.rate == pytest.approx(0.2)
    assert row.total.above_target and row.total.surely_above_target
    assert row.total.low > slip.target_error_rate
