"""django-q2 tasks of the model registry: thin wrappers that take ids and call registry code."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def run_evaluation(version_id: int) -> dict[str, Any] | None:
    """Score a version on the fixed held-out set, then whatever else its gate needs and lacks
    (the active version's figures, both on the real set it is compared on), so the admin can show
    the gate. Idempotent: a second delivery scores the same lines again and stores the same
    figures."""
    from . import activation, registry
    from .exceptions import RegistryError
    from .models import ModelVersion

    version = ModelVersion.objects.filter(pk=version_id).first()
    if version is None:
        return None
    figures = registry.evaluate_version(version, registry.heldout_dir(version.kind))
    if not version.active:
        try:
            activation.check_gate(version)
        except RegistryError as exc:  # the admin's gate page says the same when it is opened
            log.warning("%s: the gate cannot be scored yet: %s", version.name, exc.message)
    return figures
