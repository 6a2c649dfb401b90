"""Activating a model version: the gate it must pass (no worse than the active version on the
fixed held-out set), activation with an override reason, and rollback. Every switch is recorded
as a ModelActivation; workers pick the new version up between two documents."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ocr_review.roles import is_supervisor

from .engine.files import file_sha256
from .exceptions import ActivationRefused, NotEvaluated, RegistryError
from .models import ModelActivation, ModelVersion
from .registry import active_version, checkpoint_path, eval_root, evaluate_version, heldout_dir

log = logging.getLogger(__name__)

# 0.2 points of exact lines: two lines in a thousand, below what two runs of one model on one
# machine tell apart, well below what a clerk notices.
GATE_TOLERANCE = 0.002


def _figures(
    version: ModelVersion,
    folder: Path,
    labels_sha: str,
    *,
    evaluate_missing: bool,
    metric: str = "heldout",
) -> dict:
    known = (version.metrics or {}).get(metric) or {}
    # A set with no line this version reads keeps no "exact": its figures are still complete.
    if known.get("labels_sha256") == labels_sha and ("exact" in known or known.get("lines") == 0):
        return known
    if not evaluate_missing:
        raise NotEvaluated(
            f"{version.name} has no figures on the current {metric} {version.kind} evaluation set "
            "yet: evaluate it first (admin action “Evaluate on the fixed set”)."
        )
    return evaluate_version(version, folder, metric=metric)


# The key of ModelVersion.training_data naming the held-out real crops its gate compares on.
GATE_REAL_LINES = "gate_real_lines"


def real_gate_dir(version: ModelVersion | None = None) -> Path | None:
    """The held-out real corrected crops the gate also compares on: the ``val/`` split of the
    corrections export ``version`` was fine-tuned on (its training data names it), else
    settings.OCR_GATE_REAL_LINES, e.g. the val/ folder of any corrections export (split by a
    hash of the document, so at the same val share its documents never reach a training split).
    A ``train/`` split, whose crops a candidate may have learnt, is refused; so is a version whose
    own split is gone with nothing configured in its place (it would pass on synthetic lines
    alone)."""
    own = ((version.training_data or {}).get(GATE_REAL_LINES) if version else None) or ""
    for folder in (own, settings.OCR_GATE_REAL_LINES):
        if folder and (Path(folder) / "labels.tsv").is_file():
            path = Path(folder)
            if (path.parent / "manifest.json").is_file() and path.name != "val":
                raise RegistryError(
                    f"{path} is not the val/ split of its corrections export: the gate compares "
                    "only on crops of documents no training split holds."
                )
            return path
    if own and version is not None:
        raise NotEvaluated(
            f"{version.name} is compared on the corrections it was fine-tuned beside ({own}), "
            "which are gone: restore that export, or name another val/ split in "
            "OCR_GATE_REAL_LINES."
        )
    return None


def real_metric(labels_sha: str) -> str:
    """The key of a version's figures on one real set: one per set, so scoring a version on a
    second candidate's split keeps its figures on the first."""
    return f"real-{labels_sha[:16]}"


def real_figures(version: ModelVersion) -> dict:
    """``version``'s figures on the real set its gate compares on ({} if none or not scored)."""
    folder = real_gate_dir(version)
    if folder is None:
        return {}
    return (version.metrics or {}).get(real_metric(file_sha256(folder / "labels.tsv"))) or {}


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
    # The same comparison on held-out real corrected crops, when configured (real_gate_dir).
    real_set: str = ""
    real_lines: int = 0
    real_candidate_exact: float | None = None
    real_active_exact: float | None = None

    @property
    def delta(self) -> float | None:
        return None if self.active_exact is None else self.candidate_exact - self.active_exact

    @property
    def real_delta(self) -> float | None:
        if self.real_candidate_exact is None or self.real_active_exact is None:
            return None
        return self.real_candidate_exact - self.real_active_exact

    @property
    def passed(self) -> bool:
        # 1e-9: equal figures must pass however the floats were rounded on the way.
        return all(d is None or d >= -self.tolerance - 1e-9 for d in (self.delta, self.real_delta))

    def message(self) -> str:
        delta = self.delta
        if self.active is None or delta is None:
            return f"{self.candidate} is the first {self.kind} version: nothing to compare with."
        verdict = "passes the gate" if self.passed else "is refused by the gate"
        real = ""
        if self.real_set and self.real_delta is None:
            real = f"; the real set {self.real_set} holds no {self.kind} line to compare on"
        elif self.real_delta is not None:
            real = (
                f"; on {self.real_lines} held-out real corrected crops "
                f"{self.real_candidate_exact:.2%} against {self.real_active_exact:.2%} "
                f"({self.real_delta * 100:+.2f} points)"
            )
        return (
            f"{self.candidate} reads {self.candidate_exact:.2%} of the {self.lines} held-out "
            f"{self.kind} lines exactly, the active {self.active} {self.active_exact:.2%} "
            f"({delta * 100:+.2f} points){real}; at most {self.tolerance * 100:.1f} worse allowed "
            f"on each: it {verdict}."
        )

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "passed": self.passed,
            "delta": self.delta,
            "real_delta": self.real_delta,
        }


def check_gate(version: ModelVersion, *, evaluate_missing: bool = True) -> Gate:
    """Compare ``version`` with the active version of its kind on the fixed evaluation set.

    Figures already computed on the same set are reused; missing ones are computed here, or, with
    ``evaluate_missing=False`` (web requests, which never run a model), NotEvaluated is raised.
    """
    if not evaluate_missing and not (eval_root() / f"{version.kind}-heldout").is_dir():
        raise NotEvaluated(f"The fixed {version.kind} evaluation set has not been written yet.")
    folder = heldout_dir(version.kind)
    labels_sha = file_sha256(folder / "labels.tsv")
    candidate = _figures(version, folder, labels_sha, evaluate_missing=evaluate_missing)
    active_now = active_version(version.kind)
    current = None if active_now.pk == version.pk else active_now
    active = (
        _figures(current, folder, labels_sha, evaluate_missing=evaluate_missing)
        if current
        else None
    )
    real: dict = {}
    real_folder = real_gate_dir(version)
    if real_folder is not None and current is not None:
        real_sha = file_sha256(real_folder / "labels.tsv")
        on_real = [
            _figures(
                v,
                real_folder,
                real_sha,
                evaluate_missing=evaluate_missing,
                metric=real_metric(real_sha),
            )
            for v in (version, current)
        ]
        lines = on_real[0].get("lines", 0)
        real = {"real_set": str(real_folder), "real_lines": lines}
        if lines:  # else the set holds no line of this kind: nothing to compare on it
            real["real_candidate_exact"] = on_real[0].get("exact", 0.0)
            real["real_active_exact"] = on_real[1].get("exact", 0.0)
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
        **real,
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
