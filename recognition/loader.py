"""The active recognition models of this process: loaded once, swapped when a new version is active.

Workers call :func:`active_predictor` per document; it reads the active ModelVersion row (one
indexed query) and reuses the cached Predictor while the checkpoint's sha256 is unchanged, so an
activation in the admin reaches every worker between two tasks without a restart.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from .engine.checkpoint import file_sha256
from .engine.predictor import Predictor
from .models import ModelVersion

log = logging.getLogger(__name__)
SHIPPED = {"numeric": "numeric.pt", "general": "general.pt"}
_cache: dict[str, tuple[str, Predictor]] = {}
_lock = threading.Lock()


def checkpoint_path(version: ModelVersion) -> Path:
    path = Path(version.checkpoint)
    return path if path.is_absolute() else Path(settings.OCR_WEIGHTS_DIR) / path


def register_shipped(kind: str) -> ModelVersion:
    """Make the checkpoint shipped in the repository the active version when none is active."""
    path = Path(settings.OCR_WEIGHTS_DIR) / SHIPPED[kind]
    sha = file_sha256(path)
    try:
        with transaction.atomic():
            version, created = ModelVersion.objects.get_or_create(
                kind=kind,
                sha256=sha,
                defaults={
                    "name": f"shipped-{sha[:8]}",
                    "checkpoint": SHIPPED[kind],
                    "notes": "Shipped with the app (recognition/weights/MODEL_CARD.md).",
                },
            )
            if not ModelVersion.objects.filter(kind=kind, active=True).exists():
                from django.utils import timezone

                ModelVersion.objects.filter(pk=version.pk).update(
                    active=True, activated_at=timezone.now()
                )
                version.refresh_from_db()
    except IntegrityError:  # another worker registered it at the same moment
        version = ModelVersion.objects.get(kind=kind, active=True)
    return version


def active_version(kind: str) -> ModelVersion:
    version = ModelVersion.objects.filter(kind=kind, active=True).first()
    return version or register_shipped(kind)


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
