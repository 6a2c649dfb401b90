"""The active recognition models of this process: loaded once, swapped when a new version is active.

Workers call :func:`active_predictor` per document; it reads the active ModelVersion row (one
indexed query) and reuses the cached reader while the model file's sha256 is unchanged, so an
activation in the admin reaches every worker between two tasks without a restart. Readers are
cached by file, so two kinds served by one model share one session in memory.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy.typing as npt
from django.conf import settings

from .engine.lines import LineBox, find_lines
from .engine.ppocr.cascade import CascadeReader
from .engine.ppocr.detect import DEFAULT, TextDetector, hybrid
from .engine.ppocr.source import DETECTOR, SourceError, find_model
from .engine.readers import LineReader, open_reader
from .exceptions import ModelUnavailable
from .models import ModelVersion
from .registry import active_version, checkpoint_path, file_problem

log = logging.getLogger(__name__)
_cache: dict[str, LineReader] = {}  # by the model file's sha256
_lock = threading.Lock()
_reported: set[str] = set()
_fast: dict[str, LineReader | None] = {}  # by OCR_FAST_READER: None when it cannot be loaded
_cascades: dict[tuple[str, str, float], LineReader] = {}


def active_predictor(kind: str) -> tuple[LineReader, ModelVersion]:
    """The active ``kind`` model, loaded once per file; ModelUnavailable if it cannot be.

    The reason is logged once per process (not once per document) with the file's path; the
    exception's message names no path, since it may reach API clients.
    """
    version = active_version(kind)
    with _lock:
        reader = _cache.get(version.sha256)
        if reader is None:
            problem = file_problem(version)
            try:
                if problem:
                    raise ModelUnavailable(f"The active {kind} model ({version.name}): {problem}.")
                reader = open_reader(checkpoint_path(version), threads=settings.OCR_TORCH_THREADS)
            except Exception as exc:  # a damaged file fails in many ways; all mean "unavailable"
                _report_once(kind, version, f"{type(exc).__name__}: {exc}")
                raise ModelUnavailable(
                    f"The active {kind} model ({version.name}) cannot be loaded.", kind=kind
                ) from exc
            log.info("loaded %s model %s", kind, version)
            _cache[version.sha256] = reader
            _reported.discard(kind)
        return reader, version


def _report_once(kind: str, version: ModelVersion | None, reason: str) -> None:
    if kind not in _reported:
        _reported.add(kind)
        log.error(
            "the %s model %s at %s cannot be loaded; this worker reads nothing until fixed: %s",
            kind,
            version or "",
            checkpoint_path(version) if version else "the pinned rapidocr wheel",
            reason,
        )


LineFinder = Callable[[npt.NDArray[Any]], list[LineBox]]
_detector: TextDetector | None = None


def line_finder(name: str) -> LineFinder:
    """How a page's lines are found (``DocumentType.line_finder``): ``lines``, the OpenCV line
    finder (fast; best recall on scans); ``detector``, PaddleOCR's PP-OCRv6 text detector from
    the pinned wheel (best on phone photos, ~30× the CPU time); ``hybrid``, the detector's boxes
    plus the line finder's where the detector found nothing. The detector is loaded once per
    process; ModelUnavailable if the wheel's model file is missing."""
    if name == "lines":
        return find_lines
    global _detector
    with _lock:
        if _detector is None:
            try:
                _detector = TextDetector(
                    find_model(DETECTOR).path,
                    threads=settings.OCR_TORCH_THREADS,
                    settings=replace(
                        DEFAULT,
                        max_pixels=settings.OCR_DETECTOR_MAX_PIXELS,
                        strip_rows=settings.OCR_DETECTOR_STRIP_ROWS,
                    ),
                )
            except (SourceError, OSError) as exc:
                _report_once("detector", None, f"{type(exc).__name__}: {exc}")
                raise ModelUnavailable("The text detector cannot be loaded.") from exc
        detector = _detector
    if name == "detector":
        return detector.find_lines
    if name == "hybrid":
        return lambda page: hybrid(detector.find_lines(page), find_lines(page))
    raise ValueError(f"unknown line finder {name!r}")


def page_reader(general: LineReader) -> LineReader:
    """What reads a page's lines: the fast model (``OCR_FAST_READER``) in front of ``general``,
    which reads again every line the fast one is unsure of (``ppocr.cascade``); ``general``
    alone when no fast model is set, or it cannot be loaded (logged once: slower, never worse)."""
    path = settings.OCR_FAST_READER
    if not path:
        return general
    key = (path, general.sha256, settings.OCR_FAST_READER_MIN_CONFIDENCE)
    with _lock:
        if path not in _fast:
            try:
                _fast[path] = open_reader(path, threads=settings.OCR_TORCH_THREADS)
            except Exception as exc:  # a missing or damaged file: read with general alone
                log.warning(
                    "the fast line reader %s cannot be loaded (%s: %s); page lines "
                    "are read by the general model alone",
                    path,
                    type(exc).__name__,
                    exc,
                )
                _fast[path] = None
        fast = _fast[path]
        if fast is None:
            return general
        if key not in _cascades:
            _cascades[key] = CascadeReader(fast, general, key[2])
        return _cascades[key]


def used_models(page: LineReader) -> dict[str, dict[str, Any]]:
    """What ``Document.model_versions`` records of a page reader beyond the registered versions:
    the fast first reader (no version row: ``id`` is None) and its threshold."""
    if not isinstance(page, CascadeReader):
        return {}
    info = getattr(page.fast, "info", None)
    return {
        "fast": {
            "id": None,
            "name": info.architecture if info is not None else "fast",
            "sha256": page.fast.sha256,
            "min_confidence": page.threshold,
        }
    }
