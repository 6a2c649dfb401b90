"""The active recognition models of this process: loaded once, swapped when a new version is active.

Workers call :func:`active_predictor` per document; it reads the active ModelVersion row (one
indexed query) and reuses the cached Predictor while the checkpoint's sha256 is unchanged, so an
activation in the admin reaches every worker between two tasks without a restart.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from .engine.predictor import Predictor
from .models import ModelVersion
from .registry import active_version, checkpoint_path

log = logging.getLogger(__name__)
_cache: dict[str, tuple[str, Predictor]] = {}
_lock = threading.Lock()


def active_predictor(kind: str) -> tuple[Predictor, ModelVersion]:
    version = active_version(kind)
    with _lock:
        cached = _cache.get(kind)
        if cached is None or cached[0] != version.sha256:
            path = checkpoint_path(version)
            predictor = Predictor.from_file(path, threads=settings.OCR_TORCH_THREADS)
            if predictor.sha256 != version.sha256:
                raise RuntimeError(
                    f"{path} has sha256 {predictor.sha256[:12]}, model version {version} expects "
                    f"{version.sha256[:12]}: the file was replaced"
                )
            log.info("loaded %s model %s", kind, version)
            _cache[kind] = (version.sha256, predictor)
        return _cache[kind][1], version
