"""The active recognition models of this process: loaded once, swapped when a new version is active.

Workers call :func:`active_predictor` per document; it reads the active ModelVersion row (one
indexed query) and reuses the cached Predictor while the checkpoint's sha256 is unchanged, so an
activation in the admin reaches every worker between two tasks without a restart.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from .engine.checkpoint import CheckpointError
from .engine.predictor import Predictor
from .exceptions import ModelUnavailable
from .models import ModelVersion
from .registry import active_version, checkpoint_path, file_problem

log = logging.getLogger(__name__)
_cache: dict[str, tuple[str, Predictor]] = {}
_lock = threading.Lock()
_reported: set[str] = set()


def active_predictor(kind: str) -> tuple[Predictor, ModelVersion]:
    """The active ``kind`` model, loaded once per version; ModelUnavailable if it cannot be.

    The reason is logged once per process (not once per document) with the file's path; the
    exception's message names no path, since it may reach API clients.
    """
    version = active_version(kind)
    with _lock:
        cached = _cache.get(kind)
        if cached is None or cached[0] != version.sha256:
            problem = file_problem(version)
            try:
                if problem:
                    raise ModelUnavailable(f"The active {kind} model ({version.name}): {problem}.")
                predictor = Predictor.from_file(
                    checkpoint_path(version), threads=settings.OCR_TORCH_THREADS
                )
            except (CheckpointError, ModelUnavailable) as exc:
                _report_once(kind, version, str(exc))
                raise ModelUnavailable(
                    f"The active {kind} model ({version.name}) cannot be loaded.", kind=kind
                ) from exc
            log.info("loaded %s model %s", kind, version)
            _cache[kind] = (version.sha256, predictor)
            _reported.discard(kind)
        return _cache[kind][1], version


def _report_once(kind: str, version: ModelVersion, reason: str) -> None:
    if kind not in _reported:
        _reported.add(kind)
        log.error(
            "the %s model %s at %s cannot be loaded; this worker reads nothing until fixed: %s",
            kind,
            version,
            checkpoint_path(version),
            reason,
        )
