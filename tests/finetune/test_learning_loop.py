"""The loop closed end to end: bills recognised, a clerk decides, the export, a short fine-tune,
registration, the gate, activation, and the next bill read by the new model. Real code paths,
the shipped numeric model, no mocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from demo.render import Bill, render_bill
from documents.models import NUMERIC_KINDS, Document, DocumentType, Field
from documents.rules import fold_text
from recognition import activation, registry
from recognition.engine.finetune import FinetuneConfig, finetune, model_kind_for, read_split
from recognition.exceptions import ActivationRefused
from recognition.models import ModelActivation
from reviews import dashboard, export
from reviews.export import ExportParams, export_corrections
from tests.finetune.clerking import recognised, review_document

LOAN = "loan_application"
pytestmark = pytest.mark.slow


def _recognised(bill: Bill, capture) -> Document:
    document = recognised(bill, LOAN, capture)
    assert document.status in (Document.Status.NEEDS_REVIEW, Document.Status.COMPLETED), (
        document.error
    )
    return document


def test_clerk_decisions_become_a_model_that_reads_the_next_bill(
    demo_types,
    clerk,
    supervisor,
    fixed_eval,
    tmp_path,
    django_capture_on_commit_callbacks,
    settings,
):
    capture = django_capture_on_commit_callbacks
    # The numeric model reads the numeric fields here (the deployment default is the general one).
    settings.OCR_NUMERIC_FIELDS_MODEL = "numeric"
    # A form being onboarded: every field goes to a clerk, so correct readings are confirmed and
    # exported beside the corrections.
    DocumentType.objects.filter(code=LOAN).update(confidence_threshold=1.0)
    started = timezone.now()
    bills = [render_bill(LOAN, seed) for seed in (21, 22, 23)]
    documents = [_recognised(bill, capture) for bill in bills]
    truth = {d.pk: b.truth for d, b in zip(documents, bills)}
    for document in documents:
        review_document(document, clerk, truth[document.pk])

    fields = Field.objects.filter(document__in=documents)
    decided = fields.filter(status__in=[Field.Status.CORRECTED, Field.Status.CONFIRMED])
    with_crop = decided.exclude(box=None).exclude(page=None)
    assert decided.count() == fields.count(), "threshold 1.0: the clerk decided every field"
    assert with_crop.filter(spec__kind__in=NUMERIC_KINDS).exists()

    # The export: exactly the decided fields in the window, labelled with the clerk's values.
    # The validation share is picked so that one of the three documents validates.
    fractions = sorted(export.split_fraction(d.pk) for d in documents)
    val_percent = 100 * (fractions[0] + fractions[1]) / 2
    data = tmp_path / "export"
    counts = export_corrections(ExportParams(since=started, val_percent=val_percent), data).counts
    assert counts["decisions"] == decided.count()
    assert counts["exported"] == with_crop.count() == counts["corrected"] + counts["confirmed"]
    assert counts["corrected"] == with_crop.filter(status=Field.Status.CORRECTED).count()
    assert sum(counts["left_out"].values()) == decided.count() - with_crop.count()
    lines = read_split(data, "train") + read_split(data, "val")
    assert len(lines) == len(list(data.glob("*/*.png"))) == with_crop.count()
    for line in lines:
        field = Field.objects.select_related("spec").get(pk=int(Path(line.path).stem[1:]))
        assert line.text == field.value == fold_text(truth[field.document_id][field.spec.key])
        assert line.category == field.spec.kind
    sides = {d.pk: {export.split_of(d.pk, val_percent)} for d in documents}
    assert sorted(s.pop() for s in sides.values()) == ["train", "train", "val"]

    # A short fine-tune of the active numeric model on the numeric crops, with replay.
    base = registry.active_version("numeric")
    assert any(model_kind_for(line.category) == "numeric" for line in read_split(data, "train"))
    config = FinetuneConfig(
        "numeric", epochs=2, batch_size=8, max_steps=6, eval_lines=16, threads=1
    )
    result = finetune(
        registry.training_path(base), data, tmp_path / "numeric-ft.pt", config, progress=False
    )
    assert result.steps >= 1 and result.metrics["after"]["synthetic"]["lines"] == 16

    # Registered, evaluated on the fixed set and on the exported validation split.
    version = registry.register(result.path, "numeric", base, {"export": counts}, supervisor)
    heldout = registry.evaluate_version(version, registry.heldout_dir("numeric"))
    validation = registry.evaluate_version(version, data / "val", metric="validation")
    version.refresh_from_db()
    assert (version.parent, version.created_by, version.active) == (base, supervisor, False)
    assert heldout["lines"] == 80 and version.metric("heldout") == heldout["exact"]
    assert validation["lines"] == len(
        [line for line in read_split(data, "val") if model_kind_for(line.category) == "numeric"]
    )

    # Activated through the gate: a tiny fine-tune may come out a little worse, and then only a
    # supervisor's reason gets it through.
    gate = activation.check_gate(version)
    if gate.passed:
        record = activation.activate(version, clerk)
        assert record.action == ModelActivation.Action.ACTIVATE
    else:
        with pytest.raises(ActivationRefused, match="refused by the gate"):
            activation.activate(version, supervisor)
        record = activation.activate(version, supervisor, override_reason="end-to-end test run")
        assert record.override_reason == "end-to-end test run"
    assert registry.active_version("numeric") == version

    # The next bill is read by the new version, without restarting anything.
    following = _recognised(render_bill(LOAN, 24), capture)
    numeric = following.fields.filter(spec__kind__in=NUMERIC_KINDS).exclude(box=None)
    assert numeric.exists()
    assert set(numeric.values_list("model_version", flat=True)) == {version.pk}
    assert following.model_versions["numeric"]["sha256"] == version.sha256
    names = dict(dashboard.summary()["versions"])
    assert names[version.name].fields == following.fields.filter(model_version=version).count()
    assert names[base.name].fields >= with_crop.filter(spec__kind__in=NUMERIC_KINDS).count()
