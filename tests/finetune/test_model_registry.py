"""Model versions: registration, figures, the activation gate, overrides, rollback, hot swap."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from documents.models import Field
from recognition import activation, loader, registry
from recognition.engine.charset import numeric_charset
from recognition.engine.files import file_sha256
from recognition.engine.synth import write_line_set
from recognition.exceptions import ActivationRefused, NotEvaluated, RegistryError
from recognition.models import ModelActivation, ModelVersion
from reviews import dashboard
from tests.factories import document_with_fields


@pytest.fixture
def damaged(damaged_numeric, shipped, supervisor):
    return registry.register(damaged_numeric, "numeric", shipped, {"note": "scrambled"}, supervisor)


def test_registering_copies_the_checkpoint_into_the_model_store_once(
    damaged_numeric, shipped, supervisor
):
    version = registry.register(damaged_numeric, "numeric", shipped, {"crops": 3}, supervisor)

    stored = registry.checkpoint_path(version)
    assert stored.parent == registry.model_store() and stored != damaged_numeric
    assert file_sha256(stored) == version.sha256 == file_sha256(damaged_numeric)
    assert (version.parent, version.created_by, version.active) == (shipped, supervisor, False)
    assert version.training_data == {"crops": 3}
    assert registry.register(damaged_numeric, "numeric", None, {}, None) == version
    assert ModelVersion.objects.filter(kind="numeric").count() == 2


def test_registering_a_checkpoint_of_the_other_kind_is_refused(damaged_numeric, db):
    with pytest.raises(RegistryError, match="numeric model, not a general one"):
        registry.register(damaged_numeric, "general", None, {}, None)


def test_gate_refuses_a_version_worse_than_the_active_one_without_a_reason(
    fixed_eval, damaged, shipped, supervisor
):
    with pytest.raises(ActivationRefused, match="refused by the gate") as refused:
        activation.activate(damaged, supervisor)

    gate = refused.value.gate
    assert not gate.passed and gate.lines == 80
    assert gate.active_exact > 0.9 > gate.candidate_exact
    assert "A supervisor can activate it anyway by giving a reason" in refused.value.message
    assert registry.active_version("numeric") == shipped
    assert not ModelActivation.objects.exists()
    damaged.refresh_from_db()
    assert damaged.metrics["heldout"]["lines"] == 80, "the figures are kept for the admin"


def test_a_clerk_cannot_override_the_gate(fixed_eval, damaged, shipped, clerk):
    with pytest.raises(ActivationRefused, match="Only a supervisor"):
        activation.activate(damaged, clerk, override_reason="trust me")
    assert registry.active_version("numeric") == shipped


def test_a_supervisor_overrides_the_gate_with_a_recorded_reason(
    fixed_eval, damaged, shipped, supervisor
):
    record = activation.activate(damaged, supervisor, override_reason="  urgent font fix  ")

    assert registry.active_version("numeric") == damaged
    assert (record.action, record.override_reason) == ("override", "urgent font fix")
    assert (record.version, record.previous, record.actor) == (damaged, shipped, supervisor)
    assert record.gate["passed"] is False and record.gate["candidate"] == damaged.name


def test_a_version_reading_as_well_as_the_active_one_passes_the_gate(
    fixed_eval, twin, shipped, clerk
):
    record = activation.activate(twin, clerk)

    assert record.action == "activate" and record.gate["passed"] is True
    assert record.gate["delta"] == 0.0
    assert registry.active_version("numeric") == twin
    shipped.refresh_from_db()
    assert not shipped.active


def test_rollback_returns_to_an_earlier_version_and_is_recorded(
    fixed_eval, twin, shipped, supervisor
):
    activation.activate(twin, supervisor)
    record = activation.rollback(shipped, supervisor)

    assert registry.active_version("numeric") == shipped
    assert (record.action, record.previous, record.version) == ("rollback", twin, shipped)
    assert list(ModelActivation.objects.values_list("action", flat=True)) == [
        "rollback",
        "activate",
    ]


def test_rollback_to_a_version_that_never_served_is_refused(damaged, supervisor):
    with pytest.raises(RegistryError, match="never active"):
        activation.rollback(damaged, supervisor)


def test_a_version_whose_file_was_replaced_cannot_be_activated(
    fixed_eval, twin, supervisor, damaged_numeric
):
    activation.check_gate(twin)
    Path(registry.checkpoint_path(twin)).write_bytes(damaged_numeric.read_bytes())
    with pytest.raises(RegistryError, match="not the file registered"):
        activation.activate(twin, supervisor)


def test_workers_pick_up_the_new_active_version_without_a_restart(
    fixed_eval, twin, shipped, supervisor
):
    before, version = loader.active_predictor("numeric")
    assert (version, before.sha256) == (shipped, shipped.sha256)

    activation.activate(twin, supervisor)
    after, version = loader.active_predictor("numeric")
    assert (version, after.sha256) == (twin, twin.sha256)
    assert after is not before
    assert loader.active_predictor("numeric")[0] is after, "loaded once, then reused"

    activation.rollback(shipped, supervisor)
    assert loader.active_predictor("numeric")[0].sha256 == shipped.sha256


def test_evaluating_on_an_export_scores_only_the_fields_its_model_reads(shipped, tmp_path):
    folder = tmp_path / "val"
    write_line_set(folder, numeric_charset(), numeric=True, n=6, seed=3)
    rows = (folder / "labels.tsv").read_text().splitlines()
    rows = [r.split("\t")[0] + "\t" + r.split("\t")[1] + "\tamount" for r in rows]
    rows.append(rows[0].split("\t")[0] + "\t张伟\tname")  # read by the general model: skipped
    (folder / "labels.tsv").write_text("\n".join(rows) + "\n")

    figures = registry.evaluate_version(shipped, folder, metric="validation")

    assert figures["lines"] == 6
    shipped.refresh_from_db()
    assert shipped.metrics["validation"]["lines"] == 6
    assert shipped.metric("validation") == figures["exact"]


def test_the_dashboard_compares_the_fields_each_version_read(
    fixed_eval, twin, shipped, demo_types, supervisor
):
    slip = demo_types["bank_slip"]
    old = document_with_fields(
        slip, {"amount": ("1.00", 0.99, []), "payer_account": ("1", 0.99, [])}
    )
    Field.objects.filter(document=old).update(model_version=shipped)
    activation.activate(twin, supervisor)
    new = document_with_fields(slip, {"amount": ("2.00", 0.5, ["low_confidence"])})
    Field.objects.filter(document=new).update(model_version=twin)

    versions = dict(dashboard.summary()["versions"])

    assert versions[shipped.name].fields == 2 and versions[shipped.name].auto == 2
    assert versions[twin.name].fields == 1 and versions[twin.name].auto == 0


# -- the admin ---------------------------------------------------------------------------------


def _action(client, action: str, version: ModelVersion, **extra):
    return client.post(
        reverse("admin:recognition_modelversion_changelist"),
        {"action": action, "_selected_action": [version.pk], **extra},
        follow=True,
    )


def test_admin_shows_the_gate_before_activating_and_takes_an_override_reason(
    fixed_eval, damaged, shipped, admin_user, client
):
    registry.evaluate_version(damaged, fixed_eval)
    registry.evaluate_version(shipped, fixed_eval)
    client.force_login(admin_user)

    page = _action(client, "activate_version", damaged).content.decode()
    assert "refused by the gate" in page and "override_reason" in page
    assert registry.active_version("numeric") == shipped, "showing the gate changes nothing"

    refused = _action(client, "activate_version", damaged, apply="1").content.decode()
    assert "A supervisor can activate it anyway" in refused
    assert registry.active_version("numeric") == shipped

    done = _action(
        client, "activate_version", damaged, apply="1", override_reason="font fix"
    ).content.decode()
    assert "is now the active numeric model" in done
    assert ModelActivation.objects.get().override_reason == "font fix"


def test_admin_asks_for_an_evaluation_instead_of_running_a_model_in_the_request(
    fixed_eval, damaged, shipped, admin_user, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = _action(client, "activate_version", damaged).content.decode()
    assert "evaluate it first" in page

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _action(client, "evaluate", damaged)
    assert len(callbacks) == 2, "the candidate and the active version, each in a task"
    damaged.refresh_from_db()
    shipped.refresh_from_db()
    assert damaged.metric("heldout") is not None and shipped.metric("heldout") is not None
    assert not activation.check_gate(damaged, evaluate_missing=False).passed


def test_the_gate_never_runs_a_model_when_told_not_to(fixed_eval, damaged):
    with pytest.raises(NotEvaluated, match="evaluate it first"):
        activation.check_gate(damaged, evaluate_missing=False)


def test_admin_rolls_back_and_never_edits_the_active_flag_by_hand(
    fixed_eval, twin, shipped, admin_user, client
):
    activation.activate(twin, admin_user)
    client.force_login(admin_user)
    page = _action(client, "rollback_to", shipped).content.decode()
    assert "Rolled back" in page
    assert registry.active_version("numeric") == shipped
    change = client.get(reverse("admin:recognition_modelversion_change", args=[twin.pk]))
    assert 'name="active"' not in change.content.decode()


def test_the_registry_resolves_checkpoints_and_hashes_as_the_loader_does(shipped, twin):
    for version in (shipped, twin):
        assert registry.checkpoint_path(version) == registry.checkpoint_path(version)
        assert registry.file_sha256(registry.checkpoint_path(version)) == version.sha256


def test_the_version_list_shows_the_figures_of_each_version(
    fixed_eval, twin, shipped, admin_user, client
):
    registry.evaluate_version(twin, fixed_eval)
    client.force_login(admin_user)
    page = client.get(reverse("admin:recognition_modelversion_changelist")).content.decode()
    assert twin.name in page and shipped.name in page
    assert f"{twin.metric('heldout'):.2%}" in page
