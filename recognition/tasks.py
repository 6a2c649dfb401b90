"""django-q2 tasks of the model registry: thin wrappers that take ids and call registry code."""

from __future__ import annotations

from typing import Any


def run_evaluation(version_id: int) -> dict[str, Any] | None:
    """Score a version on the fixed held-out set, then whatever else its gate needs and lacks
    (the active version's figures, both on the real set it is compared on), so the admin can show
    the gate. Idempotent: a second delivery scores the same lines again and stores the same
    figures."""
    from . import activation, registry
    from .models import ModelVersion

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    figures = registry.evaluate_version(version, registry.heldout_dir(version.kind))
    if not version.active:
        activation.check_gate(version)
    return figures
