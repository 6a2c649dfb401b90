"""Recognition throughput on this machine: lines/s at batch 1 and batched, model load time, RSS.

    .venv/bin/python bench/throughput.py --kind numeric --threads 2 [--lines 512] [--json OUT]

Lines come from the deterministic held-out line set (var/eval/KIND-heldout, written by
``manage.py make_line_set`` in a child process when missing, so every run reads the same input and
the fonts used to draw them never count towards this process's memory). Peak RSS is the process's
high-water mark (ru_maxrss): what one recognition worker needs for the model and its batches.
Run it on an otherwise idle machine: training jobs on the same cores halve the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from recognition.engine.evaluate import load_image, read_labels  # noqa: E402
from recognition.engine.readers import open_reader  # noqa: E402
from recognition.shipped import SHIPPED  # noqa: E402


def line_images(kind: str, n: int) -> list:
    folder = ROOT / "var" / "eval" / f"{kind}-heldout"
    if not (folder / "labels.tsv").exists():
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "make_line_set",
                "--kind",
                kind,
                "--out",
                str(folder),
                "-n",
                "1000",
            ],
            cwd=ROOT,
            check=True,
            env={**os.environ, "DJANGO_DEBUG": "1"},
        )
    lines = read_labels(folder)[:n]
    return [load_image(line.path) for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kind", choices=("numeric", "general"), default="numeric")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lines", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args()

    path = Path(args.checkpoint or ROOT / "recognition" / "weights" / SHIPPED[args.kind])
    images = line_images(args.kind, args.lines)
    t0 = time.perf_counter()
    # As a worker serves it: ONNX Runtime for .onnx files (no torch), torch for a .pt checkpoint.
    predictor = open_reader(path, threads=args.threads)
    load_s = time.perf_counter() - t0

    predictor.recognize(images[:16])  # warm-up: first calls pay for allocator and kernel set-up
    single = []
    for image in images[:100]:
        t = time.perf_counter()
        predictor.recognize([image])
        single.append(time.perf_counter() - t)
    t = time.perf_counter()
    predictor.recognize(images)
    batched_s = time.perf_counter() - t

    result = {
        "kind": args.kind,
        "checkpoint": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "sha256": predictor.sha256,
        "threads": args.threads,
        "lines": len(images),
        "batch_size": args.batch_size,
        "model_load_s": round(load_s, 3),
        "batch1_lines_per_s": round(len(single) / sum(single), 1),
        "batch1_ms_median": round(statistics.median(single) * 1000, 2),
        "batch1_ms_p95": round(sorted(single)[int(0.95 * (len(single) - 1))] * 1000, 2),
        "batched_lines_per_s": round(len(images) / batched_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch_loaded": "torch" in sys.modules,
    }
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
