"""PP-OCRv6 small through our ``OnnxLineReader``: exact lines and CPU time per line, one thread.

    .venv/bin/python bench/ppocr_baseline.py [--onnx PATH] [--sets real-zh,sroie]
        [--images colour,gray] [--limit N] [--json OUT]

Reads PaddleOCR's original ONNX file inside the pinned ``rapidocr`` wheel unless ``--onnx`` names
another (e.g. the one ``manage.py convert_ppocr`` exports). Texts are scored like
``engine.evaluate`` (the charset's folding rule; SROIE case-insensitively, its truth is upper case)
and also after :func:`bench.engines.tidy_spaces`, the rule ``bench/peers.py`` compares peers by,
and with all spaces removed (``metrics.comparable(ignore_spaces=True)``).
``colour`` feeds the crops as BGR (what the model was trained on), ``gray`` as the grayscale crops
the app and ``bench/peers.py`` use. Time per line: whole set through ``recognize`` (lines of equal
padded width batched) and median batch-1 latency over the first 100 lines. Run on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.engines import tidy_spaces  # noqa: E402
from recognition.engine.evaluate import read_labels  # noqa: E402
from recognition.engine.metrics import Score  # noqa: E402
from recognition.engine.ppocr.reader import OnnxLineReader  # noqa: E402
from recognition.engine.ppocr.source import find_model  # noqa: E402

SAMPLES = Path(os.environ.get("OCR_SAMPLES_DIR", ROOT.parent / "shared" / "samples"))
SETS = {
    "real-zh": (SAMPLES / "real-zh" / "lines", False),
    "real-zh2": (SAMPLES / "real-zh2" / "lines", False),
    "sroie": (SAMPLES / "real" / "lines", True),
}
READ_FLAGS = {"colour": cv2.IMREAD_COLOR, "gray": cv2.IMREAD_GRAYSCALE}


def load(path: Path, mode: str) -> np.ndarray:
    image = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), READ_FLAGS[mode])
    if image is None:
        raise ValueError(f"{path} is not a readable image")
    return image


def measure(reader: OnnxLineReader, name: str, mode: str, limit: int | None) -> dict[str, Any]:
    folder, ignore_case = SETS[name]
    lines = read_labels(folder)[:limit]
    images = [load(line.path, mode) for line in lines]
    t0 = time.perf_counter()
    decoded = reader.recognize(images)
    batched_s = time.perf_counter() - t0
    latencies = []
    for image in images[:100]:
        t0 = time.perf_counter()
        reader.recognize_one(image)
        latencies.append((time.perf_counter() - t0) * 1000)
    plain, tidy, spaceless = Score(), Score(), Score()
    failures = []
    for line, dec in zip(lines, decoded, strict=True):
        plain.add(dec.text, line.text, ignore_case=ignore_case)
        ok = tidy.add(tidy_spaces(dec.text), tidy_spaces(line.text), ignore_case=ignore_case)
        spaceless.add(dec.text, line.text, ignore_case=ignore_case, ignore_spaces=True)
        if not ok:
            failures.append([line.path.name, line.text, dec.text])
    return {
        "lines": plain.lines,
        "exact": round(plain.exact_rate, 4),
        "cer": round(plain.cer, 4),
        "exact_tidy_spaces": round(tidy.exact_rate, 4),
        "cer_tidy_spaces": round(tidy.cer, 4),
        "exact_ignoring_spaces": round(spaceless.exact_rate, 4),
        "ms_per_line_batched": round(batched_s * 1000 / len(lines), 1),
        "ms_per_line_batch1_median": round(statistics.median(latencies), 1),
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onnx", help="ONNX file (default: PP-OCRv6 small inside rapidocr)")
    parser.add_argument("--sets", default="real-zh,sroie")
    parser.add_argument("--images", default="colour,gray")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--show-errors", type=int, default=0)
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()
    t0 = time.perf_counter()
    reader = OnnxLineReader(args.onnx or find_model().path, threads=1)
    report: dict[str, Any] = {
        "model": str(reader.path),
        "sha256": reader.sha256,
        "load_s": round(time.perf_counter() - t0, 2),
        "results": {},
    }
    for name in args.sets.split(","):
        for mode in args.images.split(","):
            result = measure(reader, name, mode, args.limit)
            report["results"][f"{name}/{mode}"] = result
            print(
                f"{name:9s} {mode:6s} {result['lines']:4d} lines  exact {result['exact']:.1%} "
                f"(tidy spaces {result['exact_tidy_spaces']:.1%}, no spaces "
                f"{result['exact_ignoring_spaces']:.1%})  CER {result['cer']:.2%}  "
                f"{result['ms_per_line_batched']} ms/line batched, "
                f"{result['ms_per_line_batch1_median']} ms batch-1 median",
                flush=True,
            )
            for path, truth, got in result["failures"][: args.show_errors]:
                print(f"    {path}: {truth!r} -> {got!r}")
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"peak RSS {report['peak_rss_mb']} MB, load {report['load_s']} s")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
