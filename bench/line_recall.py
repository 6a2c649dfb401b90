"""Line-finding recall and precision on the shared sample pages (IoU ≥ 0.5, one-to-one).

    .venv/bin/python bench/line_recall.py [--samples ../shared/samples] [--json OUT] [--threads 1]

Recall is the share of ground-truth line boxes matched by a found box, precision the share of
found boxes that match one; the pairing is greedy, best IoU first (lines.match_boxes). Time is
find_lines alone, per page, on the given number of OpenCV threads (the budget is per core).
Ground truth: ``docs/*.json`` of each sample set; see the sets' MANIFEST.md for its caveats
(SROIE splits some printed lines into segments, unannotated stamps and logos lower precision).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from recognition.engine.lines import find_lines, match_boxes, quad_to_box  # noqa: E402

SETS = ("real", "real-zh")


def measure(folder: Path) -> dict:
    rows, matched, truth_n, found_n, seconds = [], 0, 0, 0, 0.0
    for meta in sorted((folder / "docs").glob("*.json")):
        image_path = next(p for p in meta.parent.glob(meta.stem + ".*") if p.suffix != ".json")
        image = cv2.imread(str(image_path))
        truth = [quad_to_box(line["box"]) for line in json.loads(meta.read_text())["lines"]]
        t0 = time.perf_counter()
        found = [b.as_tuple() for b in find_lines(image)]
        elapsed = time.perf_counter() - t0
        hit, total = match_boxes(found, truth)
        matched, truth_n, found_n = matched + hit, truth_n + total, found_n + len(found)
        seconds += elapsed
        rows.append(
            {
                "doc": meta.stem,
                "size": f"{image.shape[1]}x{image.shape[0]}",
                "truth": total,
                "found": len(found),
                "matched": hit,
                "recall": round(hit / max(1, total), 3),
                "precision": round(hit / max(1, len(found)), 3),
                "seconds": round(elapsed, 3),
            }
        )
    return {
        "recall": round(matched / max(1, truth_n), 4),
        "precision": round(matched / max(1, found_n), 4),
        "pages": len(rows),
        "truth_lines": truth_n,
        "found_lines": found_n,
        "matched_lines": matched,
        "seconds_per_page": round(seconds / max(1, len(rows)), 3),
        "documents": rows,
    }


def print_table(name: str, result: dict) -> None:
    header = (
        f"{'document':<36} {'size':>9} {'truth':>5} {'found':>5} {'recall':>6} {'prec.':>6} "
        f"{'s':>6}"
    )
    print(f"\n{name}\n{header}\n{'-' * len(header)}")
    for row in result["documents"]:
        print(
            f"{row['doc']:<36} {row['size']:>9} {row['truth']:>5} {row['found']:>5} "
            f"{row['recall']:>6.3f} {row['precision']:>6.3f} {row['seconds']:>6.3f}"
        )
    print(
        f"{'all ' + str(result['pages']) + ' pages':<36} {'':>9} {result['truth_lines']:>5} "
        f"{result['found_lines']:>5} {result['recall']:>6.3f} {result['precision']:>6.3f} "
        f"{result['seconds_per_page']:>6.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    parser.add_argument("--json", dest="json_out", type=Path, help="also write the figures here")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1)")
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    results = {}
    for name in SETS:
        folder = args.samples / name
        if not (folder / "docs").is_dir():
            print(f"{folder}: not found, skipped")
            continue
        results[name] = measure(folder)
        print_table(name, results[name])
    if not results:
        sys.exit(f"no sample sets under {args.samples}")
    print("\nset       recall  precision  s/page")
    for name, r in results.items():
        print(
            f"{name:<8}  {r['recall']:.3f}   {r['precision']:.3f}      {r['seconds_per_page']:.3f}"
        )
    if args.json_out:
        settings = {"iou": 0.5, "opencv_threads": args.threads}
        args.json_out.write_text(json.dumps({**results, "settings": settings}, indent=2) + "\n")


if __name__ == "__main__":
    main()
