"""Model versions, Django side: the shipped and active versions, their files, registering a model
file and scoring it on the fixed evaluation set (activation and its gate: ``activation.py``).

The fixed set
is the deterministic held-out synthetic set of ``manage.py make_line_set`` (held-out fonts, fixed
seed) in ``var/eval/KIND-heldout``, written on first use. Both versions are scored on the same
``labels.tsv`` (its sha256 is kept with the figures, so a regenerated set is scored afresh). A
supervisor may override a failed gate with a reason, which is recorded.

Workers need no restart: ``loader.active_predictor`` reads the active row per document and loads
the new checkpoint when the sha256 changes.
"""

from __future__ import annotations

import io
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from ocr_review.tasking import enqueue_on_commit

from .engine.files import atomic_write, file_sha256
from .exceptions import ModelUnavailable, RegistryError
from .models import ModelVersion
from .shipped import SHIPPED, SHIPPED_TRAINING

# The engine (torch, OpenCV) is imported inside the functions that score or load a model, so the
# admin can import this module in a web process without loading torch.

log = logging.getLogger(__name__)


def checkpoint_path(version: ModelVersion) -> Path:
    """Relative checkpoint paths lie in OCR_WEIGHTS_DIR (the shipped models)."""
    path = Path(version.checkpoint)
    return path if path.is_absolute() else Path(settings.OCR_WEIGHTS_DIR) / path


_checked: dict[tuple[str, int, int], str] = {}


def file_problem(version: ModelVersion) -> str:
    """ "" if the version's file is there with the sha256 it was registered with, else why not.

    Says no path (it may reach API clients and probes). Hashes a file once per size and mtime.
    """
    path = checkpoint_path(version)
    try:
        stat = path.stat()
    except OSError:
        return "the model file is missing"
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _checked:
        _checked[key] = file_sha256(path)
    if _checked[key] != version.sha256:
        return "the model file was replaced (sha256 differs from the registered version)"
    return ""


def training_path(version: ModelVersion) -> Path:
    """The PyTorch checkpoint to fine-tune ``version`` from (its served file if it has none)."""
    path = Path(version.training_checkpoint or version.checkpoint)
    return path if path.is_absolute() else Path(settings.OCR_WEIGHTS_DIR) / path


def register_shipped(kind: str) -> ModelVersion:
    """Make the checkpoint shipped in the repository the active version when none is active."""
    path = Path(settings.OCR_WEIGHTS_DIR) / SHIPPED[kind]
    if not path.is_file():
        raise ModelUnavailable(f"The shipped {kind} model file is missing.", kind=kind)
    sha = file_sha256(path)
    try:
        with transaction.atomic():
            version, _created = ModelVersion.objects.get_or_create(
                kind=kind,
                sha256=sha,
                defaults={
                    "name": f"shipped-{sha[:8]}",
                    "checkpoint": SHIPPED[kind],
                    "training_checkpoint": SHIPPED_TRAINING[kind],
                    "notes": "Shipped with the app (recognition/weights/MODEL_CARD.md).",
                },
            )
            if not ModelVersion.objects.filter(kind=kind, active=True).exists():
                ModelVersion.objects.filter(pk=version.pk).update(
                    active=True, activated_at=timezone.now()
                )
                version.refresh_from_db()
    except IntegrityError:  # another worker registered it at the same moment
        version = ModelVersion.objects.get(kind=kind, active=True)
    return version


def active_version(kind: str) -> ModelVersion:
    """The active version of ``kind``; on first use, the shipped checkpoint."""
    version = ModelVersion.objects.filter(kind=kind, active=True).first()
    return version or register_shipped(kind)


def enqueue_evaluation(version_id: int) -> None:
    """Score a version on the fixed evaluation set in a worker, after the current commit."""
    enqueue_on_commit(
        "recognition.tasks.run_evaluation", version_id, queue="background", group="model-evaluation"
    )


def eval_root() -> Path:
    return Path(settings.OCR_EVAL_DIR)


def model_store() -> Path:
    """Where registered checkpoints live: under MEDIA_ROOT, which every worker machine shares."""
    return Path(settings.OCR_MODEL_STORE)


def heldout_dir(kind: str) -> Path:
    """The fixed evaluation set of ``kind``, written by make_line_set when missing."""
    folder = eval_root() / f"{kind}-heldout"
    if not (folder / "labels.tsv").is_file():
        lines = settings.OCR_HELDOUT_LINES
        log.info("writing the fixed %s evaluation set (%d lines) to %s", kind, lines, folder)
        call_command(
            "make_line_set",
            "--kind",
            kind,
            "--out",
            str(folder),
            "-n",
            str(lines),
            stdout=io.StringIO(),
        )
    return folder


# -- register and evaluate -----------------------------------------------------------------------


def register(
    path: str | Path,
    kind: str,
    parent: ModelVersion | None = None,
    data_summary: dict | None = None,
    user=None,
    *,
    name: str = "",
    notes: str = "",
    training_checkpoint: str | Path | None = None,
) -> ModelVersion:
    """Copy a model file (ONNX, or a CRNN checkpoint) into the model store and record it
    (inactive); an ONNX file's PyTorch ``training_checkpoint`` is stored beside it. Registering
    the same file again returns the existing version.

    Without ``parent``, the version the checkpoint was fine-tuned from (its ``base_sha256``) is
    the parent when it is registered.
    """
    served = _describe(Path(path))
    if served.kind != kind:
        raise RegistryError(f"{path} holds a {served.kind} model, not a {kind} one.")
    existing = ModelVersion.objects.filter(kind=kind, sha256=served.sha256).first()
    if existing:
        return existing
    target = _store_copy(Path(path), kind, served.sha256)
    training = ""
    if training_checkpoint:
        source = Path(training_checkpoint)
        training = str(_store_copy(source, kind, file_sha256(source)))
        if source.suffix == ".pt" and not served.metrics:
            # An ONNX export carries no training record: its checkpoint does.
            trained = _describe(source)
            served = _Served(served.kind, served.sha256, trained.base_sha256, trained.metrics)
    if parent is None and served.base_sha256:
        parent = _version_holding(kind, served.base_sha256)
    now = timezone.now()
    try:
        with transaction.atomic():
            return ModelVersion.objects.create(
                kind=kind,
                name=name or f"{kind}-{now:%Y%m%d-%H%M}-{served.sha256[:8]}",
                checkpoint=str(target),
                training_checkpoint=training,
                sha256=served.sha256,
                parent=parent,
                training_data=data_summary or {},
                metrics={"training": served.metrics} if served.metrics else {},
                created_by=user,
                notes=notes,
            )
    except IntegrityError:  # registered by someone else at the same moment
        return ModelVersion.objects.get(kind=kind, sha256=served.sha256)


def _version_holding(kind: str, sha: str) -> ModelVersion | None:
    """The version whose served file or training checkpoint is the file with ``sha``: a
    fine-tuned checkpoint names its base by the base's checkpoint, not by the ONNX file served."""
    versions = list(ModelVersion.objects.filter(kind=kind).order_by("-created_at"))
    for version in versions:
        if version.sha256 == sha:
            return version
    stored = f"{kind}-{sha[:16]}"  # _store_copy's name: no need to hash it
    for version in versions:
        if not version.training_checkpoint:
            continue
        path = training_path(version)
        if path.stem == stored:
            return version
        if not path.stem.startswith(f"{kind}-") and path.is_file() and file_sha256(path) == sha:
            return version
    return None


@dataclass(frozen=True)
class _Served:
    kind: str
    sha256: str
    base_sha256: str
    metrics: dict


def _describe(path: Path) -> _Served:
    """What a model file says about itself; RegistryError if it is not one we can serve."""
    if path.suffix == ".onnx":
        from .engine.readers import model_kind

        try:
            return _Served(model_kind(path), file_sha256(path), "", {})
        except ValueError as exc:
            raise RegistryError(str(exc)) from exc
    from .engine.checkpoint import CheckpointError, load_checkpoint
    from .engine.ppocr.checkpoint import load_checkpoint as load_ppocr_checkpoint

    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as crnn_error:
        try:  # our PP-OCR checkpoint (the general model), fine-tuned from ``base``
            pp = load_ppocr_checkpoint(path)
        except CheckpointError:
            raise RegistryError(str(crnn_error)) from crnn_error
        base = (pp.train_config.get("base") or {}).get("sha256", "")
        return _Served(pp.kind, pp.sha256, base, pp.metrics)
    base = (ckpt.train_config.get("finetune") or {}).get("base_sha256", "")
    return _Served(ckpt.kind, ckpt.sha256, base, ckpt.metrics)


def _store_copy(source: Path, kind: str, sha: str) -> Path:
    store = model_store()
    store.mkdir(parents=True, exist_ok=True)
    target = store / f"{kind}-{sha[:16]}{source.suffix}"
    if target.is_file() and file_sha256(target) == sha:
        return target
    with open(source, "rb") as src:
        return atomic_write(target, lambda fh: shutil.copyfileobj(src, fh))


def evaluate_version(
    version: ModelVersion, lines_dir: str | Path, *, metric: str = "heldout"
) -> dict:
    """Score ``version`` on a line folder (labels.tsv) and keep the figures in ``metrics[metric]``.

    ``metric="validation"`` is for the validation split of a corrections export, whose categories
    are field kinds: only the fields this version's kind reads are scored.
    """
    from .engine.evaluate import evaluate, read_labels
    from .engine.finetune import model_kind_for
    from .engine.readers import open_reader

    folder = Path(lines_dir)
    try:
        lines = read_labels(folder)
    except (FileNotFoundError, ValueError) as exc:
        raise RegistryError(str(exc)) from exc
    numeric_real = metric.startswith("real") and version.kind == "numeric"
    if metric == "validation" or (numeric_real and any(line.category for line in lines)):
        # Only the fields this kind reads; the general model reads every kind of real crop.
        lines = [line for line in lines if model_kind_for(line.category) == version.kind]
    figures: dict = {
        "lines": len(lines),
        "set": str(folder),
        "labels_sha256": file_sha256(folder / "labels.tsv"),
        "evaluated_at": timezone.now().isoformat(),
    }
    if lines:
        path = checkpoint_path(version)
        try:
            # As many threads as a recognition worker: evaluation runs in one (or a command).
            predictor = open_reader(path, threads=settings.OCR_TORCH_THREADS)
        except (OSError, ValueError, RuntimeError) as exc:  # a damaged or foreign file
            raise RegistryError(str(exc)) from exc
        if predictor.sha256 != version.sha256:
            raise RegistryError(f"{path} was replaced: it is not the file registered as {version}.")
        report = evaluate(lines, lambda _line: predictor.recognize, latency_sample=0)
        figures.update(
            exact=report.overall.exact_rate,
            correct=report.overall.exact,
            cer=report.overall.cer,
        )
    with transaction.atomic():
        row = ModelVersion.objects.select_for_update().get(pk=version.pk)
        row.metrics = {**(row.metrics or {}), metric: figures}
        row.save(update_fields=["metrics"])
    version.metrics = row.metrics
    return figures
