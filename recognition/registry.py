"""Model versions, Django side: register a checkpoint, evaluate it, activate it through the gate,
roll back. Every switch of the active version writes a ModelActivation row.

The gate: a candidate may replace the active version of its kind only if its exact-line accuracy
on the fixed evaluation set is at most ``GATE_TOLERANCE`` below the active version's. The fixed set
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
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from ocr_review.roles import is_supervisor
from ocr_review.tasking import enqueue_on_commit

from .engine.files import atomic_write, file_sha256
from .exceptions import ActivationRefused, ModelUnavailable, NotEvaluated, RegistryError
from .models import ModelActivation, ModelVersion

# The engine (torch, OpenCV) is imported inside the functions that score or load a model, so the
# admin can import this module in a web process without loading torch.

log = logging.getLogger(__name__)

# 0.2 points of exact lines: two lines in a thousand, below what two runs of one model on one
# machine tell apart, well below what a clerk notices.
GATE_TOLERANCE = 0.002

# What each kind serves until another version is activated, and the PyTorch checkpoint it was
# exported from. ppocr-v6-small.* are written at set-up by `manage.py convert_ppocr` from the
# pinned rapidocr wheel (PaddleOCR's PP-OCRv6 small, Apache-2.0).
SHIPPED = {"numeric": "numeric.onnx", "general": "ppocr-v6-small.onnx"}
SHIPPED_TRAINING = {"numeric": "numeric.pt", "general": "ppocr-v6-small.pt"}


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
    if parent is None and served.base_sha256:
        parent = ModelVersion.objects.filter(kind=kind, sha256=served.base_sha256).first()
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

    try:
        ckpt = load_checkpoint(path)
    except CheckpointError as exc:
        raise RegistryError(str(exc)) from exc
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
    if metric == "validation":
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


def _heldout_figures(
    version: ModelVersion, folder: Path, labels_sha: str, *, evaluate_missing: bool
) -> dict:
    known = (version.metrics or {}).get("heldout") or {}
    if known.get("labels_sha256") == labels_sha and "exact" in known:
        return known
    if not evaluate_missing:
        raise NotEvaluated(
            f"{version.name} has no figures on the current fixed {version.kind} evaluation set "
            "yet: evaluate it first (admin action “Evaluate on the fixed set”)."
        )
    return evaluate_version(version, folder, metric="heldout")


# -- the gate, activation, rollback --------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    kind: str
    candidate_id: int
    candidate: str
    candidate_exact: float
    active_id: int | None
    active: str | None
    active_exact: float | None
    lines: int
    labels_sha256: str
    tolerance: float = GATE_TOLERANCE

    @property
    def delta(self) -> float | None:
        return None if self.active_exact is None else self.candidate_exact - self.active_exact

    @property
    def passed(self) -> bool:
        # 1e-9: equal figures must pass however the floats were rounded on the way.
        return self.delta is None or self.delta >= -self.tolerance - 1e-9

    def message(self) -> str:
        delta = self.delta
        if self.active is None or delta is None:
            return f"{self.candidate} is the first {self.kind} version: nothing to compare with."
        verdict = "passes the gate" if self.passed else "is refused by the gate"
        return (
            f"{self.candidate} reads {self.candidate_exact:.2%} of the {self.lines} held-out "
            f"{self.kind} lines exactly, the active {self.active} {self.active_exact:.2%} "
            f"({delta * 100:+.2f} points; at most {self.tolerance * 100:.1f} worse allowed): "
            f"it {verdict}."
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed, "delta": self.delta}


def check_gate(version: ModelVersion, *, evaluate_missing: bool = True) -> Gate:
    """Compare ``version`` with the active version of its kind on the fixed evaluation set.

    Figures already computed on the same set are reused; missing ones are computed here, or, with
    ``evaluate_missing=False`` (web requests, which never run a model), NotEvaluated is raised.
    """
    if not evaluate_missing and not (eval_root() / f"{version.kind}-heldout").is_dir():
        raise NotEvaluated(f"The fixed {version.kind} evaluation set has not been written yet.")
    folder = heldout_dir(version.kind)
    labels_sha = file_sha256(folder / "labels.tsv")
    candidate = _heldout_figures(version, folder, labels_sha, evaluate_missing=evaluate_missing)
    active_now = active_version(version.kind)
    current = None if active_now.pk == version.pk else active_now
    active = (
        _heldout_figures(current, folder, labels_sha, evaluate_missing=evaluate_missing)
        if current
        else None
    )
    return Gate(
        kind=version.kind,
        candidate_id=version.pk,
        candidate=version.name,
        candidate_exact=candidate.get("exact", 0.0),
        active_id=current.pk if current else None,
        active=current.name if current else None,
        active_exact=active.get("exact", 0.0) if active else None,
        lines=candidate["lines"],
        labels_sha256=labels_sha,
    )


def activate(
    version: ModelVersion, user, override_reason: str = "", *, evaluate_missing: bool = True
) -> ModelActivation:
    """Make ``version`` the active one of its kind if it passes the gate, or if a supervisor gives
    a reason to override a failed gate. Raises ActivationRefused otherwise."""
    version.refresh_from_db()
    if version.active:
        raise RegistryError(f"{version.name} is already the active {version.kind} model.")
    gate = check_gate(version, evaluate_missing=evaluate_missing)
    reason = override_reason.strip()
    action = ModelActivation.Action.ACTIVATE
    if not gate.passed:
        if not reason:
            raise ActivationRefused(
                gate.message() + " A supervisor can activate it anyway by giving a reason.",
                gate=gate,
            )
        if not is_supervisor(user):
            raise ActivationRefused(
                gate.message() + " Only a supervisor can override the gate.", gate=gate
            )
        action = ModelActivation.Action.OVERRIDE
    return _switch(version, user, action, gate=gate, reason=reason)


def rollback(to_version: ModelVersion, user, reason: str = "") -> ModelActivation:
    """Go back to a version that was active before; no gate (it already served)."""
    to_version.refresh_from_db()
    if to_version.active:
        raise RegistryError(f"{to_version.name} is already the active {to_version.kind} model.")
    if to_version.activated_at is None:
        raise RegistryError(
            f"{to_version.name} was never active, so there is nothing to roll back to: "
            "activate it through the gate instead."
        )
    return _switch(to_version, user, ModelActivation.Action.ROLLBACK, gate=None, reason=reason)


def _switch(
    version: ModelVersion, user, action: str, *, gate: Gate | None, reason: str
) -> ModelActivation:
    path = checkpoint_path(version)
    if not path.is_file() or file_sha256(path) != version.sha256:
        raise RegistryError(
            f"{path} is missing or is not the file registered as {version.name}: workers could "
            "not load it."
        )
    now = timezone.now()
    with transaction.atomic():
        previous = (
            ModelVersion.objects.select_for_update().filter(kind=version.kind, active=True).first()
        )
        if gate is not None and previous and gate.active_id not in (None, previous.pk):
            raise RegistryError(
                f"The active {version.kind} model changed to {previous.name} while the gate "
                "was checked; check again."
            )
        if previous:
            ModelVersion.objects.filter(pk=previous.pk).update(active=False)
        ModelVersion.objects.filter(pk=version.pk).update(active=True, activated_at=now)
        record = ModelActivation.objects.create(
            kind=version.kind,
            version=version,
            previous=previous,
            action=action,
            gate=gate.as_dict() if gate else {},
            override_reason=reason,
            actor=user if getattr(user, "pk", None) else None,
        )
    version.refresh_from_db()
    log.info("%s: %s is now the active %s model (was %s)", action, version, version.kind, previous)
    return record
