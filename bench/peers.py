"""Our general model beside Tesseract 5 and PP-OCRv4 (RapidOCR) on the same line crops.

    scripts/bootstrap.sh --bench        # once: Tesseract + .venv-bench with the peer engines
    .venv-bench/bin/python bench/peers.py [--engines ours,tesseract,rapidocr]
        [--sets heldout,real-zh,sroie] [--limit N] [--gray] [--out bench/results/peers]

Line sets: ``heldout`` is the project's synthetic evaluation set (bill-field lines in fonts and
degradations never used in training; written deterministically by ``manage.py make_line_set`` when
missing), ``real-zh`` the real Chinese e-invoice crops and ``sroie`` the real receipt crops of
../shared/samples (compared case-insensitively, their truth is upper case). Every engine gets the
same crops, in colour as the app's pages give them (``--gray``: converted to gray first, as runs
before 2026-12-03 had them; our engines then cannot see red seal ink), runs on one thread
(torch, onnxruntime, Tesseract and OpenCV limited) in a process of its own, so its peak RSS is
its own (the engine plus numpy, OpenCV and the crops), and is scored by the same rule: the
charset's folding rule plus :func:`bench.engines.tidy_spaces`.
Lines/s counts the recognition calls over a whole set, each engine batching as it was built to
(ours: width buckets of up to 64 lines; PP-OCR: 6; Tesseract: one line at a time). The confidence
columns are each engine's own scale (ours is calibrated, see bench/confidence.py), so only ours is
meant to be read against the 0.9 goal. Writes OUT.json and OUT.md, prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench import engines  # noqa: E402
from recognition.engine.evaluate import load_image, read_labels  # noqa: E402
from recognition.engine.metrics import Score  # noqa: E402

SAMPLES = Path(os.environ.get("OCR_SAMPLES_DIR", ROOT.parent / "shared" / "samples"))
SETS = {
    "heldout": (ROOT / "var" / "eval" / "general-heldout", False),
    "real-zh": (SAMPLES / "real-zh" / "lines", False),
    "sroie": (SAMPLES / "real" / "lines", True),
}
SET_TITLES = {
    "heldout": "synthetic bill fields, held-out fonts and degradations",
    "real-zh": "real Chinese e-invoice lines",
    "sroie": "real SROIE receipt lines (case-insensitive)",
}
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OMP_THREAD_LIMIT": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
}


def ensure_heldout() -> None:
    folder = SETS["heldout"][0]
    if (folder / "labels.tsv").exists():
        return
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "make_line_set",
            "--kind",
            "general",
            "--out",
            str(folder),
            "-n",
            "1000",
        ],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DJANGO_DEBUG": "1"},
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_crop(path: Path, gray: bool) -> Any:
    """A line crop as BGR, or gray with ``gray``; ValueError if it cannot be read."""
    if gray:
        return load_image(path)
    image = cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path} is not a readable image")
    return image


def run_worker(
    engine_name: str, set_names: list[str], limit: int | None, out: Path, gray: bool = False
) -> None:
    """Child process: load one engine, read every set, write raw predictions and timings."""
    t0 = time.perf_counter()
    engine = engines.load(engine_name)
    engine([load_crop(read_labels(SETS[set_names[0]][0])[0].path, gray)])  # warm-up, in load
    load_s = time.perf_counter() - t0
    results = {}
    for name in set_names:
        lines = read_labels(SETS[name][0])[:limit]
        images = [load_crop(line.path, gray) for line in lines]
        t0 = time.perf_counter()
        decoded = engine(images)
        elapsed = time.perf_counter() - t0
        results[name] = {
            "seconds": elapsed,
            "predictions": [[d.text, d.confidence] for d in decoded],
        }
    out.write_text(json.dumps({"load_s": load_s, "peak_rss_mb": peak_rss_mb(), "sets": results}))


def score_set(name: str, predictions: list, limit: int | None) -> dict:
    folder, ignore_case = SETS[name]
    lines = read_labels(folder)[:limit]
    overall, by_category = Score(), defaultdict(Score)
    high_wrong = high = below = 0
    for line, (text, confidence) in zip(lines, predictions, strict=True):
        predicted, truth = engines.tidy_spaces(text), engines.tidy_spaces(line.text)
        ok = overall.add(predicted, truth, ignore_case=ignore_case)
        if line.category:
            by_category[line.category].add(predicted, truth, ignore_case=ignore_case)
        if confidence >= 0.9:
            high += 1
            high_wrong += not ok
        else:
            below += 1
    return {
        "lines": overall.lines,
        "exact": round(overall.exact_rate, 4),
        "cer": round(overall.cer, 4),
        "wrong_share_at_conf_0_9": round(high_wrong / high, 4) if high else None,
        "share_below_conf_0_9": round(below / overall.lines, 4) if overall.lines else None,
        "by_category": {
            k: {"lines": s.lines, "exact": round(s.exact_rate, 4), "cer": round(s.cer, 4)}
            for k, s in sorted(by_category.items())
        },
    }


def markdown(report: dict) -> str:
    names = report["engines"]
    out = [
        "| line set | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for set_name in report["sets"]:
        cells = []
        for engine in names:
            s = report["results"][engine]["sets"][set_name]
            cells.append(f"{s['exact']:.1%} exact, CER {s['cer']:.1%}")
        out.append(f"| {SET_TITLES[set_name]} ({s['lines']} lines) | " + " | ".join(cells) + " |")
    for label, key, fmt in (
        ("lines/s, 1 thread", "lines_per_s", "{:.0f}"),
        ("peak RSS (MB)", "peak_rss_mb", "{:.0f}"),
        ("load time (s)", "load_s", "{:.1f}"),
    ):
        out.append(
            f"| {label} | "
            + " | ".join(fmt.format(report["results"][e][key]) for e in names)
            + " |"
        )
    out += [
        "",
        f"Crops read in {report.get('crops', 'gray')}; scored as described in bench/peers.py.",
    ]
    categories = sorted(
        {
            c
            for e in names
            for c in report["results"][e]["sets"].get("heldout", {}).get("by_category", {})
        }
    )
    if categories:
        out += ["", "Held-out synthetic set, exact lines per category:", ""]
        out.append("| category | " + " | ".join(names) + " |")
        out.append("|---|" + "---|" * len(names))
        for c in categories:
            row = []
            for e in names:
                s = report["results"][e]["sets"]["heldout"]["by_category"].get(c)
                row.append(f"{s['exact']:.0%} ({s['lines']})" if s else "-")
            out.append(f"| {c} | " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default=",".join(engines.ENGINES))
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--limit", type=int, default=None, help="first N lines of each set")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "peers"))
    parser.add_argument("--gray", action="store_true", help="gray crops (runs before 2026-12-03)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    set_names = [s for s in args.sets.split(",") if s]
    if args.worker:
        run_worker(args.worker, set_names, args.limit, Path(args.worker_out), args.gray)
        return

    if "heldout" in set_names:
        ensure_heldout()
    missing = [s for s in set_names if not (SETS[s][0] / "labels.tsv").exists()]
    if missing:
        sys.exit(f"line sets not found: {', '.join(missing)} (../shared/samples absent?)")
    names = [e for e in args.engines.split(",") if e]
    report = {
        "engines": names,
        "sets": set_names,
        "limit": args.limit,
        "crops": "gray" if args.gray else "colour",
        "results": {},
    }
    for name in names:
        print(f"==> {name}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            raw_path = Path(tmp) / "raw.json"
            subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--worker",
                    name,
                    "--worker-out",
                    str(raw_path),
                    "--sets",
                    ",".join(set_names),
                ]
                + (["--limit", str(args.limit)] if args.limit else [])
                + (["--gray"] if args.gray else []),
                check=True,
                env={**os.environ, **ONE_THREAD},
            )
            raw = json.loads(raw_path.read_text())
        total_lines = sum(len(r["predictions"]) for r in raw["sets"].values())
        total_s = sum(r["seconds"] for r in raw["sets"].values())
        report["results"][name] = {
            "load_s": round(raw["load_s"], 2),
            "peak_rss_mb": round(raw["peak_rss_mb"], 1),
            "lines_per_s": round(total_lines / total_s, 1) if total_s else None,
            "sets": {s: score_set(s, r["predictions"], args.limit) for s, r in raw["sets"].items()},
        }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    table = markdown(report)
    out.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
