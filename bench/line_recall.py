"""Line-finding recall and precision on the shared sample pages (IoU ≥ 0.5, one-to-one).

    .venv/bin/python bench/line_recall.py [--samples ../shared/samples] [--json OUT]

Ground truth: the line boxes of ``docs/*.json`` in each sample set (see the sets' MANIFEST.md for
their caveats: SROIE splits some lines into segments, boxes catch slivers of neighbours).
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


def measure(folder: Path) -> dict:
    rows, matched, truth_n, found_n, seconds = [], 0, 0, 0, 0.0
    for meta in sorted((folder / "docs").glob("*.json")):
        image_path = next(p for p in meta.parent.glob(meta.stem + ".*") if p.suffix != ".json")
        image = cv2.imread(str(image_path))
        truth = [quad_to_box(line["box"]) for line in json.loads(meta.read_text())["lines"]]
        t0 = time.perf_counter()
        found = [b.as_tuple() for b in find_lines(image)]
        seconds += time.perf_counter() - t0
        hit, total = match_boxes(found, truth)
        matched, truth_n, found_n = matched + hit, truth_n + total, found_n + len(found)
        rows.append(
            {
                "doc": meta.stem,
                "recall": round(hit / total, 3),
                "precision": round(hit / max(1, len(found)), 3),
                "truth": total,
                "found": len(found),
            }
        )
    pages = max(1, len(rows))
    return {
        "recall": round(matched / max(1, truth_n), 4),
        "precision": round(matched / max(1, found_n), 4),
        "pages": len(rows),
        "truth_lines": truth_n,
        "found_lines": found_n,
        "seconds_per_page": round(seconds / pages, 3),
        "documents": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", default=str(ROOT.parent / "shared" / "samples"))
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()
    results = {}
    for name in ("real", "real-zh"):
        folder = Path(args.samples) / name
        if not (folder / "docs").is_dir():
            print(f"{folder}: not found, skipped")
            continue
        results[name] = measure(folder)
        r = results[name]
        print(
            f"{name:<8} recall {r['recall']:.3f}  precision {r['precision']:.3f}  "
            f"({r['truth_lines']} truth lines, {r['pages']} pages, "
            f"{r['seconds_per_page']:.3f} s/page)"
        )
        for row in r["documents"]:
            print(
                f"   {row['doc']:<40} recall {row['recall']:.2f}  precision {row['precision']:.2f}"
            )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
