"""The corrections export: what is in the window, crops and labels, the split, sampling, masking."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from documents.models import Event, Field
from recognition import registry
from reviews import export
from reviews.export import ExportError, ExportParams, export_corrections
from tests.factories import document_with_fields
from tests.finetune.clerking import decide

SLIP = {
    "payer_name": ("张伟", 0.62, ["low_confidence"]),
    "amount": ("8,650.00", 0.71, ["low_confidence"]),
    "transaction_date": ("2024-03-07", 0.55, ["low_confidence"]),
    "payer_account": ("6222 0212 3456 7890", 0.99, []),  # auto-accepted: never exported
}
TRUTH = {
    "payer_name": "张伟",  # confirmed
    "amount": "8,650.50",  # corrected
    "transaction_date": "2024-03-08",  # corrected
}


def _window() -> ExportParams:
    now = timezone.now()
    return ExportParams(since=now - timedelta(hours=1), until=now + timedelta(hours=1))


@pytest.fixture
def decided(demo_types, clerk):
    """Three bank slips whose review fields a clerk decided (one field of the last left open)."""
    docs = []
    for i in range(3):
        doc = document_with_fields(demo_types["bank_slip"], SLIP)
        Field.objects.filter(document=doc).update(
            model_version=registry.register_shipped("numeric")
        )
        for field in doc.fields.filter(status=Field.Status.NEEDS_REVIEW).order_by("spec__order"):
            if i == 2 and field.spec.key == "transaction_date":
                continue
            decide(field, clerk, TRUTH[field.spec.key])
        docs.append(doc)
    return docs


def _decision_events():
    return Event.objects.filter(kind__in=["field_corrected", "field_confirmed"])


def _read(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line]


def test_export_count_equals_corrected_plus_confirmed_fields_decided_in_the_window(
    decided, tmp_path
):
    corrected = Field.objects.filter(status=Field.Status.CORRECTED).count()
    confirmed = Field.objects.filter(status=Field.Status.CONFIRMED).count()
    assert (corrected, confirmed) == (5, 3)

    result = export_corrections(_window(), tmp_path / "out")

    counts = result.counts
    assert counts["exported"] == corrected + confirmed == _decision_events().count() == 8
    assert (counts["corrected"], counts["confirmed"]) == (corrected, confirmed)
    assert counts["decisions"] == 8 and counts["left_out"] == {}
    out = result.out_dir
    crops = sorted(out.glob("*/*.png"))
    assert len(crops) == 8
    labelled = _read(out / "train.txt") + _read(out / "val.txt")
    assert sorted(path for path, _ in labelled) == sorted(str(p.relative_to(out)) for p in crops)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == counts
    assert sum(s["crops"] for s in counts["splits"].values()) == 8


def test_decisions_outside_the_window_are_left_out(decided, tmp_path):
    last_month = timezone.now() - timedelta(days=40)
    _decision_events().filter(document=decided[0]).update(created_at=last_month)

    result = export_corrections(_window(), tmp_path / "out")

    assert result.counts["exported"] == _decision_events().exclude(document=decided[0]).count()
    assert {r["document_id"] for r in result.rows} == {decided[1].pk, decided[2].pk}


def test_month_selects_decisions_by_when_the_clerk_decided_them(decided, tmp_path):
    tz = timezone.get_current_timezone()
    march = timezone.make_aware(datetime(2025, 3, 31, 23, 59), tz)
    april_first = timezone.make_aware(datetime(2025, 4, 1, 0, 0), tz)
    _decision_events().filter(document=decided[0]).update(created_at=march)
    _decision_events().filter(document=decided[1]).update(created_at=april_first)

    call_command("export_corrections", "--month", "2025-03", "--output", str(tmp_path / "march"))

    manifest = json.loads((tmp_path / "march" / "manifest.json").read_text())
    assert manifest["counts"]["exported"] == _decision_events().filter(document=decided[0]).count()
    assert manifest["params"]["since"].startswith("2025-03-01T00:00:00")
    assert manifest["params"]["until"].startswith("2025-04-01T00:00:00")


def test_labels_are_the_decided_values_exactly_and_crops_are_cut_from_the_page(decided, tmp_path):
    out = export_corrections(_window(), tmp_path / "out").out_dir

    for split in ("train", "val"):
        for path, text in _read(out / f"{split}.txt"):
            field = Field.objects.get(pk=int(Path(path).stem[1:]))
            assert text == field.value == TRUTH[field.spec.key]
            crop = np.asarray(Image.open(out / path))
            x0, y0, x1, y1 = field.box
            pad = (y1 - y0) * 0.08  # preprocess.crop_box, the cut the numeric model reads
            assert crop.ndim == 2
            assert crop.shape == (
                int(np.ceil(y1 + pad)) - int(np.floor(y0 - pad)),
                int(np.ceil(x1 + pad)) - int(np.floor(x0 - pad)),
            )
        for name, text, kind in _read(out / split / "labels.tsv"):
            field = Field.objects.get(pk=int(Path(name).stem[1:]))
            assert (out / split / name).is_file()
            assert (text, kind) == (field.value, field.spec.kind)


def test_a_document_never_has_crops_in_both_train_and_validation(decided, tmp_path):
    result = export_corrections(
        ExportParams(since=_window().since, val_percent=50), tmp_path / "out"
    )
    sides: dict[int, set[str]] = {}
    for row in result.rows:
        sides.setdefault(row["document_id"], set()).add(row["split"])
        assert row["split"] == export.split_of(row["document_id"], 50)
    assert all(len(s) == 1 for s in sides.values())


def test_the_split_is_stable_and_sends_about_the_asked_share_of_documents_to_validation():
    assert [export.split_of(i, 10) for i in range(50)] == [
        export.split_of(i, 10) for i in range(50)
    ]
    share = sum(export.split_of(i, 10) == "val" for i in range(1, 5001)) / 5000
    assert 0.08 < share < 0.12
    assert {export.split_of(i, 0) for i in range(200)} == {"train"}


def test_include_confirmed_samples_confirmed_fields_deterministically_and_keeps_all_corrections(
    decided, tmp_path
):
    since = _window().since
    none = export_corrections(ExportParams(since=since, include_confirmed=0), tmp_path / "a")
    half = export_corrections(ExportParams(since=since, include_confirmed=50), tmp_path / "b")
    again = export_corrections(ExportParams(since=since, include_confirmed=50), tmp_path / "c")

    assert none.counts["confirmed"] == 0 and none.counts["corrected"] == 5
    assert none.counts["left_out"] == {"confirmed_not_sampled": 3}
    assert half.counts["corrected"] == 5
    assert [r["image"] for r in half.rows] == [r["image"] for r in again.rows]
    kept = {int(Path(r["image"]).stem[1:]) for r in half.rows if r["status"] == "confirmed"}
    assert kept == {
        f.pk
        for f in Field.objects.filter(status=Field.Status.CONFIRMED)
        if export.keeps_confirmed(f.pk, 50)
    }


def test_jsonl_and_csv_carry_the_provenance_of_every_crop(decided, tmp_path, clerk):
    out = export_corrections(_window(), tmp_path / "out").out_dir

    records = [json.loads(line) for line in (out / "corrections.jsonl").read_text().splitlines()]
    rows = list(csv.DictReader(open(out / "corrections.csv", encoding="utf-8")))
    assert len(records) == len(rows) == 8
    shipped = registry.register_shipped("numeric")
    amount = next(r for r in records if r["field_key"] == "amount")
    assert amount | {"decided_at": None, "image": None, "split": None} == {
        "image": None,
        "text": "8,650.50",
        "split": None,
        "document_id": amount["document_id"],
        "document_type": "bank_slip",
        "field_key": "amount",
        "kind": "amount",
        "model": "numeric",
        "model_version": shipped.name,
        "model_sha256": shipped.sha256,
        "ocr_text": "8,650.00",
        "ocr_value": "8,650.00",
        "confidence": 0.71,
        "status": "corrected",
        "reviewer": clerk.username,
        "decided_at": None,
        "review_seconds": 4.2,
        "reasons": ["low_confidence"],
    }
    assert datetime.fromisoformat(amount["decided_at"]) <= timezone.now()
    csv_amount = next(r for r in rows if r["image"] == amount["image"])
    assert csv_amount["text"] == "8,650.50" and csv_amount["model_sha256"] == shipped.sha256


def test_only_the_asked_formats_are_written_besides_crops_and_labels_tsv(decided, tmp_path):
    result = export_corrections(
        ExportParams(since=_window().since, formats=("jsonl",)), tmp_path / "out"
    )
    written = sorted(str(p.relative_to(result.out_dir)) for p in result.out_dir.rglob("*.*"))
    assert [p for p in written if not p.endswith(".png")] == [
        "corrections.jsonl",
        "manifest.json",
        "train/labels.tsv",
        "val/labels.tsv",
    ]
    assert result.manifest["files"] == [
        "manifest.json",
        "train/labels.tsv",
        "val/labels.tsv",
        "corrections.jsonl",
    ]


def test_mask_ids_masks_digits_of_provenance_texts_but_never_the_label(decided, tmp_path):
    out = export_corrections(
        ExportParams(since=_window().since, mask_ids=True), tmp_path / "out"
    ).out_dir

    records = [json.loads(line) for line in (out / "corrections.jsonl").read_text().splitlines()]
    amount = next(r for r in records if r["field_key"] == "amount")
    assert amount["ocr_text"] == amount["ocr_value"] == "#,###.##"
    assert amount["text"] == "8,650.50"
    assert all(p.name.startswith("f") for p in out.rglob("*.png"))
    assert "8,650" not in " ".join(p.name for p in out.rglob("*"))


def test_document_type_filter_keeps_the_other_types_out(decided, demo_types, clerk, tmp_path):
    loan = document_with_fields(
        demo_types["loan_application"], {"term_months": ("36", 0.5, ["low_confidence"])}
    )
    decide(loan.fields.get(), clerk, "36")

    only_slips = export_corrections(
        ExportParams(since=_window().since, document_type="bank_slip"), tmp_path / "a"
    )
    only_loans = export_corrections(
        ExportParams(since=_window().since, document_type="loan_application"), tmp_path / "b"
    )
    assert only_slips.counts["by_document_type"] == {"bank_slip": 8}
    assert only_loans.counts["by_document_type"] == {"loan_application": 1}


def test_a_field_without_a_box_has_no_crop_and_is_counted_apart(decided, tmp_path):
    Field.objects.filter(document=decided[0], spec__key="amount").update(box=None)

    result = export_corrections(_window(), tmp_path / "out")

    assert result.counts["exported"] == 7
    assert result.counts["left_out"] == {"no_box": 1}
    assert result.counts["decisions"] == 8


def test_a_refused_output_folder_is_left_as_it_was(decided, tmp_path):
    out = tmp_path / "exports" / "out"
    out.mkdir(parents=True)
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match="not an empty folder"):
        export_corrections(_window(), out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in out.parent.iterdir()] == ["out"], "no half-written export left"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--month", "2025-13"], "is not a month"),
        (["--month", "2025-03", "--since", "2025-03-02"], "either --month"),
        (["--include-confirmed", "120%"], "between 0 and 100"),
        (["--format", "pdf"], "unknown format pdf"),
        (["--document-type", "nope"], "no document type"),
        (["--since", "2025-04-01", "--until", "2025-03-01"], "window is empty"),
    ],
)
def test_bad_command_arguments_are_explained(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_corrections", *args, "--output", str(tmp_path / "x"))


def test_until_as_a_date_includes_that_whole_day():
    since = export.parse_moment("2025-03-01")
    until = export.parse_moment("2025-03-31", end=True)
    assert (until - since) == timedelta(days=31)
    assert export.parse_percent("30%") == 30.0 == export.parse_percent("30")
    assert export.parse_formats(["paddle,csv", "csv"]) == ("paddle", "csv")


def test_a_page_image_gone_from_storage_leaves_its_fields_out_and_counted(decided, tmp_path):
    page = decided[1].pages.get()
    page.image.storage.delete(page.image.name)

    result = export_corrections(_window(), tmp_path / "out")

    assert result.counts["left_out"] == {"page_image_missing": 3}
    assert result.counts["exported"] == 5
