"""django-q2 tasks of the model registry: thin wrappers that take ids and call registry code."""

from __future__ import annotations

from typing import Any


def run_evaluation(version_id: int) -> dict[str, Any] | None:
    """Idempotent: a second delivery scores the same lines again and stores the same figures."""
    from . import registry
    from .models import ModelVersion

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    return registry.evaluate_version(version, registry.heldout_dir(version.kind))
