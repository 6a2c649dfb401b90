"""Peak memory of a process that holds only the text detector, per input cap.

    .venv/bin/python bench/detector_memory.py [--caps 0,2600000,2300000,2000000]
        [--strips 0] [--sizes 4000x3000,1240x1754] [--runs 3] [--json OUT]

For each cap (``DetectorSettings.max_pixels``; 0: none), strip height (``strip_rows``; 0: the
whole input at once) and page size (width x height: a
12-megapixel phone photo, an A4 scan at 150 dpi), a fresh child process loads the detector as a
worker does (``onnx_session.serving_session``, the shared arena), finds the lines of a drawn page
``--runs`` times and reports its peak RSS (VmHWM) and CPU seconds a page. Memory does not depend
on what the page shows, only on the network's input size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import dataclasses, json, sys, time
sys.path.insert(0, {root!r})
import cv2, numpy as np
from recognition.engine.ppocr.detect import DEFAULT, TextDetector, input_size
from recognition.engine.ppocr.source import DETECTOR, find_model
cap, strip, w, h, runs = {cap}, {strip}, {w}, {h}, {runs}
settings = dataclasses.replace(DEFAULT, max_pixels=cap, strip_rows=strip)
detector = TextDetector(find_model(DETECTOR).path, settings=settings)
page = np.full((h, w), 235, np.uint8)
for y in range(60, h - 60, 45):
    cv2.putText(page, "Invoice 12345678 amount 1,234.56 TOTAL", (40, y), 0, 1.0, 20, 2)
cpu = []
for _ in range(runs):
    t = time.process_time()
    detector.find_lines(page)
    cpu.append(time.process_time() - t)
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
network = input_size(h, w, settings.min_side, settings.max_side, cap)
print(json.dumps({{"peak_rss_mb": round(peak), "cpu_s_per_page": round(min(cpu), 2),
                  "network_input": f"{{network[1]}}x{{network[0]}}"}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--caps", default="0,2600000,2300000,2000000")
    parser.add_argument("--strips", default="0", help="strip heights (input rows; 0: none)")
    parser.add_argument("--sizes", default="4000x3000,1240x1754")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", dest="json_out", type=Path)
    args = parser.parse_args()
    rows = []
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        for cap in (int(c) for c in args.caps.split(",")):
            for strip in (int(r) for r in args.strips.split(",")):
                code = CHILD.format(root=str(ROOT), cap=cap, strip=strip, w=w, h=h, runs=args.runs)
                run = subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                )
                row = {
                    "page": size,
                    "max_pixels": cap,
                    "strip_rows": strip,
                    **json.loads(run.stdout.strip().splitlines()[-1]),
                }
                rows.append(row)
                print(
                    f"page {size:>10}  cap {cap / 1e6:>4.1f} M  strips {strip or '-':>4}  "
                    f"network {row['network_input']:>10}  peak {row['peak_rss_mb']:>4} MB  "
                    f"{row['cpu_s_per_page']:.2f} CPU-s/page"
                )
    if args.json_out:
        args.json_out.write_text(json.dumps({"runs": args.runs, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
