"""A re-run never discards human work: decisions and their history stay, leased fields are not
touched, only undecided fields are read again; a completed document that reopens says so."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from demo.render import render_bill
from documents import services
from documents.api import tokens
from documents.models import Document, Event, Field, WebhookEvent
from reviews import services as review
from reviews.export import ExportParams, export_corrections
from tests.finetune.clerking import decide

S = Field.Status


@pytest.fixture
def read_slip(demo_types, django_capture_on_commit_callbacks) -> Document:
    buffer = io.BytesIO()
    render_bill("bank_slip", 41, degrade=False).image.save(buffer, "PNG")
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.ingest(
            buffer.getvalue(), name="slip.png", document_type="bank_slip"
        ).document
    doc.refresh_from_db()
    assert doc.fields.count() >= 4
    # The first three fields wait for a clerk, whatever this model made of them.
    first = doc.fields.order_by("spec__order").values_list("pk", flat=True)[:3]
    Field.objects.filter(pk__in=list(first)).update(
        status=S.NEEDS_REVIEW, review_reasons=[{"code": "low_confidence", "message": "low"}]
    )
    Document.objects.filter(pk=doc.pk).update(status=Document.Status.NEEDS_REVIEW)
    doc.refresh_from_db()
    return doc


def _rerun(doc: Document, capture, actor=None) -> None:
    with capture(execute=True):
        assert services.rerun_recognition(doc, actor=actor)
    doc.refresh_from_db()


def test_rerun_keeps_decisions_leaves_leased_fields_and_reads_the_rest_again(
    read_slip, clerk, clerk2, supervisor, django_capture_on_commit_callbacks, tmp_path
):
    fields = list(read_slip.fields.order_by("spec__order"))
    corrected, confirmed, leased, *rest = fields
    decide(corrected, clerk, corrected.value + "X")
    decide(confirmed, clerk, confirmed.value)
    review.claim(leased.pk, clerk2)
    before = {f.pk: Field.objects.get(pk=f.pk) for f in fields}
    decision_events = Event.objects.filter(kind__in=["field_corrected", "field_confirmed"]).count()

    preview = services.rerun_preview(read_slip)
    assert (preview.kept, preview.leased, preview.refreshed) == (2, 1, len(rest))

    _rerun(read_slip, django_capture_on_commit_callbacks, actor=supervisor)

    after = {f.pk: f for f in read_slip.fields.all()}
    assert set(after) == set(before), "the same field rows: the audit trail still points at them"
    assert (after[corrected.pk].value, after[corrected.pk].status) == (
        before[corrected.pk].value,
        S.CORRECTED,
    )
    assert after[confirmed.pk].status == S.CONFIRMED
    assert after[corrected.pk].version > before[corrected.pk].version
    assert Event.objects.filter(kind="field_reread", field=corrected.pk).count() == 1
    assert Event.objects.filter(kind__in=["field_corrected", "field_confirmed"]).count() == (
        decision_events
    )
    untouched = after[leased.pk]
    assert (untouched.version, untouched.value, untouched.status) == (
        before[leased.pk].version,
        before[leased.pk].value,
        before[leased.pk].status,
    )
    for f in rest:
        assert after[f.pk].version > before[f.pk].version, "undecided fields are read again"
    assert read_slip.status in (Document.Status.NEEDS_REVIEW, Document.Status.COMPLETED)

    result = export_corrections(ExportParams(), tmp_path / "export")
    assert result.counts["corrected"] == 1 and result.counts["confirmed"] == 1


def test_reopening_a_completed_document_tells_the_integrator(
    read_slip, clerk, django_capture_on_commit_callbacks, settings
):
    settings.OCR_TASKS_SYNC = False  # keep the outbox rows; delivery is tested elsewhere
    client, _token = tokens.create_client("erp", type_codes=("bank_slip",))
    Document.objects.filter(pk=read_slip.pk).update(
        api_client=client, callback_url="https://erp.example.com/hook"
    )
    for f in read_slip.fields.filter(status=S.NEEDS_REVIEW):
        decide(f, clerk, f.value)
    read_slip.refresh_from_db()
    assert read_slip.status == Document.Status.COMPLETED
    with django_capture_on_commit_callbacks(execute=False):
        assert services.rerun_recognition(read_slip)
    outbox = WebhookEvent.objects.filter(document=read_slip).order_by("created_at", "id")
    types = list(outbox.values_list("type", flat=True))
    assert types.count("document.reopened") == 1
    assert types.index("document.reopened") > types.index("document.completed")


def test_the_page_asks_before_a_rerun_and_says_what_is_kept(client, supervisor, read_slip, clerk):
    decide(read_slip.fields.order_by("spec__order").first(), clerk, "张伟")
    client.force_login(supervisor)
    url = reverse("document-rerun", args=[read_slip.pk])
    page = client.get(url).content.decode()
    assert "keeps its value and history" in page and 'method="post"' in page
    assert Document.objects.get(pk=read_slip.pk).status == read_slip.status, "GET changes nothing"


def test_the_admin_action_confirms_first(client, admin_user, read_slip):
    client.force_login(admin_user)
    changelist = reverse("admin:documents_document_changelist")
    data = {"action": "rerun_recognition", "_selected_action": [read_slip.pk]}
    page = client.post(changelist, data)
    assert page.status_code == 200 and "will be read again" in page.content.decode()
    assert Document.objects.get(pk=read_slip.pk).status == read_slip.status
    done = client.post(changelist, {**data, "confirmed": "yes"}, follow=True)
    assert "queued for recognition" in done.content.decode()


def test_a_rerun_that_misses_a_decided_field_keeps_the_crop_the_clerk_judged(
    read_slip, clerk, django_capture_on_commit_callbacks, monkeypatch, tmp_path
):
    """The corrections export pairs a clerk's value with the field's crop: a new reading that
    did not find the field must not take the box away (the correction would drop out)."""
    import dataclasses

    import processing.run

    corrected = read_slip.fields.order_by("spec__order").first()
    decide(corrected, clerk, corrected.value + "X")
    corrected.refresh_from_db()
    assert corrected.box and corrected.page_id
    real = processing.run.recognize_document

    def misses_it(*args, **kwargs):
        result = real(*args, **kwargs)
        result.fields = [
            dataclasses.replace(f, page=None, box=None, raw_text="", confidence=0.0)
            if f.key == corrected.spec.key
            else f
            for f in result.fields
        ]
        return result

    monkeypatch.setattr(processing.run, "recognize_document", misses_it)
    _rerun(read_slip, django_capture_on_commit_callbacks)
    after = Field.objects.get(pk=corrected.pk)
    assert (after.box, after.page_id, after.raw_text, after.value) == (
        corrected.box,
        corrected.page_id,
        corrected.raw_text,
        corrected.value,
    )
    assert Event.objects.filter(kind="field_reread", field=corrected.pk).count() == 1
    result = export_corrections(ExportParams(), tmp_path / "export")
    assert result.counts["corrected"] == 1


def test_a_box_from_an_earlier_render_of_another_size_is_not_kept(
    read_slip, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    """A page rendered at another size (the PDF resolution changed) would put the old box on the
    wrong place: the decided field takes the new reading, even one without a box."""
    import dataclasses

    import processing.run
    from documents.models import Page

    corrected = read_slip.fields.order_by("spec__order").first()
    decide(corrected, clerk, corrected.value + "X")
    Page.objects.filter(document=read_slip).update(width=123, height=456)  # an earlier render
    real = processing.run.recognize_document

    def misses_it(*args, **kwargs):
        result = real(*args, **kwargs)
        result.fields = [
            dataclasses.replace(f, page=None, box=None) if f.key == corrected.spec.key else f
            for f in result.fields
        ]
        return result

    monkeypatch.setattr(processing.run, "recognize_document", misses_it)
    _rerun(read_slip, django_capture_on_commit_callbacks)
    after = Field.objects.get(pk=corrected.pk)
    assert after.box is None and after.value == corrected.value + "X"
