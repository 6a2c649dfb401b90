"""Training data from clerk decisions: field crops, labels and provenance (the job: jobs.py).

What is exported: every field a clerk corrected or confirmed whose decision (the Event
``field_corrected`` / ``field_confirmed``) falls in the window ``[since, until)``, optionally of one
document type. Corrections are always all in; confirmed fields may be sampled
(``include_confirmed`` percent, decided by a hash of the field id, so the same fields every time).
A field without a box on a stored page image (a value the clerk typed for a field that was not
found) has no crop and is counted apart.

Crops are cut from the stored page image with ``preprocess.crop_box`` (the cut the pipeline reads
again), in grayscale. Labels are the decided values, exactly. File names are
opaque (``f<field id>.png``): no value, name or ID number ever reaches a file name. With
``mask_ids`` the digits of the provenance texts (the OCR reading before the decision) are masked
too; the label never is.

Train/validation split by document (hash of the document id): a document's crops are never on
both sides, and a document stays on its side in every later export.

Output folder:
  manifest.json        parameters, window, counts
  train/, val/         the PNG crops and labels.tsv (name, text, field kind): the engine's line
                       folder format, read by evaluate_ocr, finetune_ocr and the registry
  train.txt, val.txt   (paddle) crop_path<TAB>text, as PaddleOCR's SimpleDataSet reads
  corrections.jsonl    (jsonl) one record per crop with provenance
  corrections.csv      (csv) the same columns, formula-like cells escaped (documents.cells)
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from PIL import Image

from documents.cells import safe_cell
from documents.models import Event, Field, Page
from recognition.engine.preprocess import ImageError, crop_box

log = logging.getLogger(__name__)

FORMATS = ("paddle", "jsonl", "csv")
DECISIONS = {"field_corrected": Field.Status.CORRECTED, "field_confirmed": Field.Status.CONFIRMED}
SPLITS = ("train", "val")
MANIFEST_VERSION = 1
COLUMNS = (
    "image",
    "text",
    "split",
    "document_id",
    "document_type",
    "field_key",
    "kind",
    "model",
    "model_version",
    "model_sha256",
    "ocr_text",
    "ocr_value",
    "confidence",
    "status",
    "reviewer",
    "decided_at",
    "review_seconds",
    "reasons",
)


class ExportError(ValueError):
    """Parameters or an output folder we cannot export with; the message says why."""


@dataclass(frozen=True)
class ExportParams:
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    document_type: str = ""  # DocumentType.code; empty: every type
    include_confirmed: float = 100.0  # percent of confirmed fields kept
    formats: tuple[str, ...] = FORMATS
    mask_ids: bool = False
    val_percent: float = 10.0  # documents (not crops) going to validation

    def __post_init__(self) -> None:
        unknown = set(self.formats) - set(FORMATS)
        if unknown or not self.formats:
            raise ExportError(f"formats are {', '.join(FORMATS)}; got {', '.join(self.formats)}")
        if not 0 <= self.include_confirmed <= 100:
            raise ExportError("--include-confirmed is a percentage between 0 and 100")
        if not 0 <= self.val_percent < 100:
            raise ExportError("the validation share is a percentage from 0 to below 100")
        if self.since and self.until and self.since >= self.until:
            raise ExportError("the window is empty: since must be before until")

    def to_json(self) -> dict:
        data = asdict(self)
        data["since"] = self.since.isoformat() if self.since else None
        data["until"] = self.until.isoformat() if self.until else None
        data["formats"] = list(self.formats)
        return data

    @classmethod
    def from_json(cls, data: dict) -> ExportParams:
        data = dict(data)
        for key in ("since", "until"):
            data[key] = parse_datetime(data[key]) if data.get(key) else None
        data["formats"] = tuple(data.get("formats") or FORMATS)
        return cls(**data)


@dataclass
class ExportResult:
    out_dir: Path
    manifest: dict
    rows: list[dict] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        return self.manifest["counts"]


# -- parameters from text (command line, admin form) -----------------------------------------------


def month_window(month: str) -> tuple[datetime, datetime]:
    """``2025-03`` → [1 March 00:00, 1 April 00:00) in the project's time zone."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ExportError(f"{month!r} is not a month: use YYYY-MM, e.g. 2025-03")
    year, mon = int(match[1]), int(match[2])
    start = date(year, mon, 1)
    end = date(year + mon // 12, mon % 12 + 1, 1)
    return _midnight(start), _midnight(end)


def parse_moment(text: str, *, end: bool = False) -> datetime:
    """A date (``2025-03-31``; with ``end``, the end of that day) or an ISO date-time."""
    text = text.strip()
    day = parse_date(text) if len(text) == 10 else None
    if day:
        return _midnight(day + timedelta(days=1) if end else day)
    moment = parse_datetime(text)
    if moment is None:
        raise ExportError(f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO date-time")
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_percent(text: str | float) -> float:
    try:
        value = float(str(text).strip().rstrip("%"))
    except ValueError:
        raise ExportError(f"{text!r} is not a percentage such as 30%") from None
    if not 0 <= value <= 100:
        raise ExportError("a percentage lies between 0 and 100")
    return value


def parse_formats(values: list[str] | str | None) -> tuple[str, ...]:
    items = [values] if isinstance(values, str) else values or list(FORMATS)
    formats = tuple(dict.fromkeys(f.strip() for v in items for f in v.split(",") if f.strip()))
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ExportError(f"unknown format {', '.join(sorted(unknown))}: use {'|'.join(FORMATS)}")
    return formats


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


# -- selection -------------------------------------------------------------------------------------


def _fraction(key: str) -> float:
    """A stable number in [0, 1) for ``key``: the same on every machine and in every export."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0x1_0000_0000


def split_fraction(document_id: int) -> float:
    """Where a document falls in [0, 1): below ``val_percent / 100`` it validates."""
    return _fraction(f"split:document:{document_id}")


def split_of(document_id: int, val_percent: float) -> str:
    return "val" if split_fraction(document_id) < val_percent / 100 else "train"


def keeps_confirmed(field_id: int, include_confirmed: float) -> bool:
    return _fraction(f"sample:confirmed:{field_id}") < include_confirmed / 100


def decisions(params: ExportParams) -> list[tuple[Event, Field]]:
    """The latest decision event of every still-existing decided field in the window, with it."""
    events = Event.objects.filter(
        kind__in=DECISIONS, field__isnull=False, field__status__in=DECISIONS.values()
    )
    if params.since:
        events = events.filter(created_at__gte=params.since)
    if params.until:
        events = events.filter(created_at__lt=params.until)
    if params.document_type:
        events = events.filter(document__document_type__code=params.document_type)
    latest: dict[int, tuple[Event, Field]] = {}
    related = ("actor", "document__document_type", "field__spec", "field__model_version")
    for event in events.select_related(*related).order_by("created_at", "id"):
        if event.field is not None:
            latest[event.field.pk] = (event, event.field)
    return sorted(latest.values(), key=lambda ef: (ef[0].document_id, ef[1].page_id or 0, ef[1].pk))


# -- writing ---------------------------------------------------------------------------------------


def export_corrections(params: ExportParams, out_dir: str | Path) -> ExportResult:
    """Write the export to ``out_dir`` (missing or empty); all at once, never half a folder."""
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} exists and is not an empty folder: choose a new --output")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        result = _write(params, tmp)
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    result.out_dir = out
    return result


def _write(params: ExportParams, out: Path) -> ExportResult:
    for split in SPLITS:
        (out / split).mkdir()
    counts: Counter = Counter()
    left_out: Counter = Counter()
    rows: list[dict] = []
    page: tuple[int, np.ndarray | None] | None = None
    for event, fld in decisions(params):
        status = DECISIONS[event.kind]
        counts["decisions"] += 1
        if status == Field.Status.CONFIRMED and not keeps_confirmed(
            fld.pk, params.include_confirmed
        ):
            left_out["confirmed_not_sampled"] += 1
            continue
        if not fld.page_id or not fld.box:
            left_out["no_box"] += 1
            continue
        if page is None or page[0] != fld.page_id:
            page = (fld.page_id, _page_gray(fld.page_id))
        if page[1] is None:
            left_out["page_image_missing"] += 1
            continue
        try:
            crop = crop_box(page[1], fld.box)
        except ImageError:
            left_out["box_outside_page"] += 1
            continue
        split = split_of(event.document_id, params.val_percent)
        name = f"f{fld.pk:08d}.png"
        Image.fromarray(np.ascontiguousarray(crop)).save(out / split / name, "PNG")
        rows.append(_row(event, fld, status, f"{split}/{name}", split, params.mask_ids))
    manifest = _manifest(params, rows, counts["decisions"], left_out)
    _write_labels(out, rows, params.formats)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return ExportResult(out, manifest, rows)


def _page_gray(page_id: int) -> np.ndarray | None:
    page = Page.objects.get(pk=page_id)
    try:
        with page.image.open("rb") as fh:
            image = Image.open(fh)
            image.load()
    except (OSError, ValueError):  # file gone from storage, or damaged: skip, count, go on
        log.warning(
            "page %s: image %r cannot be read; its fields are left out", page_id, page.image.name
        )
        return None
    # As processing.reading reads a page for the numeric re-read: the stored (deskewed) page in
    # 8-bit grayscale, boxes in its pixels.
    return np.asarray(image.convert("L"))


_DIGIT = re.compile(r"\d")


def _masked(text: str, mask: bool) -> str:
    return _DIGIT.sub("#", text) if mask and text else text


def _row(event: Event, fld: Field, status: str, image: str, split: str, mask: bool) -> dict:
    before = event.before if isinstance(event.before, dict) else {}
    version = fld.model_version
    seconds = (event.detail or {}).get("seconds")
    return {
        "image": image,
        "text": fld.value,
        "split": split,
        "document_id": event.document_id,
        "document_type": event.document.document_type.code,
        "field_key": fld.spec.key,
        "kind": fld.spec.kind,
        "model": "numeric" if fld.spec.numeric else "general",
        "model_version": version.name if version else "",
        "model_sha256": version.sha256 if version else "",
        "ocr_text": _masked(before.get("raw_text", fld.raw_text), mask),
        "ocr_value": _masked(before.get("value", ""), mask),
        "confidence": before.get("confidence", fld.confidence),
        "status": str(status),
        "reviewer": event.actor.get_username() if event.actor else "",
        "decided_at": event.created_at.isoformat(),
        "review_seconds": seconds,
        "reasons": list(before.get("reasons") or fld.reason_codes),
    }


def _manifest(params: ExportParams, rows: list[dict], decided: int, left_out: Counter) -> dict:
    splits = {
        s: {
            "crops": sum(r["split"] == s for r in rows),
            "documents": len({r["document_id"] for r in rows if r["split"] == s}),
        }
        for s in SPLITS
    }
    versions: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        versions[(r["model_version"], r["model_sha256"])] += 1
    return {
        "format_version": MANIFEST_VERSION,
        "created_at": timezone.now().isoformat(),
        "params": params.to_json(),
        "counts": {
            "decisions": decided,
            "exported": len(rows),
            "corrected": sum(r["status"] == Field.Status.CORRECTED for r in rows),
            "confirmed": sum(r["status"] == Field.Status.CONFIRMED for r in rows),
            "left_out": dict(left_out),
            "splits": splits,
            "by_kind": dict(Counter(r["kind"] for r in rows)),
            "by_model": dict(Counter(r["model"] for r in rows)),
            "by_document_type": dict(Counter(r["document_type"] for r in rows)),
        },
        "model_versions": [
            {"name": name, "sha256": sha, "crops": n} for (name, sha), n in sorted(versions.items())
        ],
        "files": _file_list(params.formats),
    }


def _file_list(formats: tuple[str, ...]) -> list[str]:
    files = ["manifest.json", "train/labels.tsv", "val/labels.tsv"]
    if "paddle" in formats:
        files += ["train.txt", "val.txt"]
    if "jsonl" in formats:
        files.append("corrections.jsonl")
    if "csv" in formats:
        files.append("corrections.csv")
    return files


def _tsv(text: str) -> str:
    """A label on one TSV line. Models read whitespace runs as one space (charset.fold), so a tab
    or line break a clerk pasted into a value means a space there too; JSONL and CSV keep it."""
    return re.sub(r"[\t\r\n]", " ", text)


def _write_labels(out: Path, rows: list[dict], formats: tuple[str, ...]) -> None:
    for split in SPLITS:
        mine = [r for r in rows if r["split"] == split]
        with open(out / split / "labels.tsv", "w", encoding="utf-8") as fh:
            fh.writelines(
                f"{Path(r['image']).name}\t{_tsv(r['text'])}\t{r['kind']}\n" for r in mine
            )
        if "paddle" in formats:
            with open(out / f"{split}.txt", "w", encoding="utf-8") as fh:
                fh.writelines(f"{r['image']}\t{_tsv(r['text'])}\n" for r in mine)
    if "jsonl" in formats:
        with open(out / "corrections.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if "csv" in formats:
        with open(out / "corrections.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            for r in rows:
                row = {**r, "reasons": ";".join(r["reasons"])}
                writer.writerow({k: safe_cell(v) for k, v in row.items()})
