"""Line-finding recall and precision on the shared sample pages (IoU ≥ 0.5, one-to-one).

    .venv/bin/python bench/line_recall.py [--finder opencv|detector|hybrid|both|all]
        [--samples ../shared/samples] [--sets real,real-zh] [--json OUT] [--markdown OUT]
        [--threads 1] [--photo] [--camera] [--synthetic N] [--detector-settings [NAMES]]

Finders: ``opencv`` is ``lines.find_lines``; ``detector`` PaddleOCR's PP-OCRv6 small text detector
from the pinned rapidocr wheel (``ppocr.detect.TextDetector``); ``hybrid`` the detector's boxes
plus the OpenCV boxes where it found nothing (``ppocr.detect.hybrid``, both finders' time);
``both`` is opencv and detector, ``all`` adds hybrid.

``--photo`` also scores each set's pages made to look like phone photos (a seeded perspective
tilt, 3° rotation, a dark table around the page, uneven light, blur, JPEG quality 50; truth
boxes moved with the page), as ``SET+photo``: the sample sets hold scans and rendered PDFs only.
``--camera`` also scores them as a 12-megapixel phone takes them (``SET+camera``): the photo-like
page filling 85 % of a 4,000 × 3,000 frame, the size at which the detector's input cap
(``DetectorSettings.max_pixels``) comes into play.

``--synthetic N`` adds the set ``synthetic``: N demo bills of each demo type (``demo.render``,
seeds from 9000, degraded as the demo does), their truth the boxes the renderer drew. It is the
validation set for choices: ``--detector-settings`` runs the detector once per standard setting
of ``STANDARD_SETTINGS`` (or the comma-separated ones named) and scores each, so a setting is
chosen on rendered pages and the sample sets only measure the choice (their pages must never tune
anything).

Recall is the share of ground-truth line boxes matched by a found box, precision the share of
found boxes that match one; the pairing is greedy, best IoU first (lines.match_boxes). Time is
line finding alone, per page (wall clock, and this process's CPU time, which a busy machine
disturbs less), on the given number of OpenCV and ONNX Runtime threads (the budget is per core).
Ground truth: ``docs/*.json`` of each sample set; see the sets' MANIFEST.md for its caveats
(SROIE splits some printed lines into segments, unannotated stamps and logos lower precision).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from recognition.engine.line_coverage import Coverage, coverage  # noqa: E402
from recognition.engine.lines import LineBox, find_lines, quad_to_box  # noqa: E402
from recognition.engine.ppocr.detect import (  # noqa: E402
    DEFAULT,
    TextDetector,
    hybrid,
)
from recognition.engine.ppocr.source import DETECTOR, find_model  # noqa: E402

SETS = ("real", "real-zh")
FINDERS = ("opencv", "detector", "hybrid")
CHOICES = {**{f: (f,) for f in FINDERS}, "both": FINDERS[:2], "all": FINDERS}
Finder = Callable[[Any], list[LineBox]]
SYNTHETIC_SEED = 9000
# Published pre- and postprocessing of PP-OCR detectors (see DetectorSettings), and our one knob.
STANDARD_SETTINGS = {
    "default": DEFAULT,
    "paddle-max960": replace(DEFAULT, min_side=0, max_side=960),
    "page-as-is": replace(DEFAULT, min_side=0, max_side=100_000, max_pixels=0),
    "imagenet-max960": replace(
        DEFAULT,
        min_side=0,
        max_side=960,
        mean=(0.406, 0.456, 0.485),
        std=(0.225, 0.224, 0.229),
    ),
    "rapidocr-post": replace(DEFAULT, box_thresh=0.5, unclip_ratio=1.6, dilate=True),
    "merge-gap-1": replace(DEFAULT, merge_gap=1.0),  # ours: boxes of one line joined
    # Our memory knob: the network's input in pixels (DEFAULT 2.6 M).
    "uncapped": replace(DEFAULT, max_pixels=0),
    "max-2.3M": replace(DEFAULT, max_pixels=2_300_000),
    "max-2.0M": replace(DEFAULT, max_pixels=2_000_000),
    # The other memory knob: the network run on strips of input rows (DEFAULT: the whole input).
    "strips-640": replace(DEFAULT, strip_rows=640),
    "strips-480": replace(DEFAULT, strip_rows=480),
    "strips-480-m64": replace(DEFAULT, strip_rows=480, strip_margin=64),
}
LOOKS = {"": "", "photo": "+photo", "camera": "+camera"}
CAMERA = (4000, 3000)  # a 12-megapixel phone's frame, landscape


def pages(folder: Path | int, look: str = "") -> list[tuple[str, Any, list]]:
    """A sample set's pages (a folder) or that many rendered bills of each demo type (an int),
    as they are (``look`` ""), photo-like ("photo") or photographed at 12 megapixels ("camera")."""
    if isinstance(folder, int):
        return synthetic_pages(folder, look)
    out = []
    for meta in sorted((folder / "docs").glob("*.json")):
        image_path = next(p for p in meta.parent.glob(meta.stem + ".*") if p.suffix != ".json")
        quads = [line["box"] for line in json.loads(meta.read_text())["lines"]]
        image = cv2.imread(str(image_path))
        if look:
            image, quads = photographed(image, quads, zlib.crc32(meta.stem.encode()), look)
        out.append((meta.stem, image, [quad_to_box(q) for q in quads]))
    return out


def synthetic_pages(per_type: int, look: str = "") -> list[tuple[str, Any, list]]:
    from demo.render import render_bill

    out = []
    for code in ("bank_slip", "loan_application", "vat_invoice"):
        for seed in range(SYNTHETIC_SEED, SYNTHETIC_SEED + per_type):
            bill = render_bill(code, seed)
            image = cv2.cvtColor(np.asarray(bill.image.convert("RGB")), cv2.COLOR_RGB2BGR)
            quads = [[x0, y0, x1, y0, x1, y1, x0, y1] for _, (x0, y0, x1, y1) in bill.lines]
            if look:
                image, quads = photographed(image, quads, seed, look)
            out.append((f"{code}-{seed}", image, [quad_to_box(q) for q in quads]))
    return out


def photographed(image: Any, quads: list, seed: int, look: str) -> tuple[Any, list]:
    """``photo_like``, and for "camera" the result on a 12-megapixel frame, 85 % filled."""
    image, quads = photo_like(image, quads, seed)
    if look != "camera":
        return image, quads
    h, w = image.shape[:2]
    fw, fh = CAMERA if w >= h else CAMERA[::-1]
    f = min(0.85 * fw / w, 0.85 * fh / h)
    page = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
    frame = np.full((fh, fw, 3), 60, np.uint8)
    oy, ox = (fh - page.shape[0]) // 2, (fw - page.shape[1]) // 2
    frame[oy : oy + page.shape[0], ox : ox + page.shape[1]] = page
    moved = [[v * f + (ox if i % 2 == 0 else oy) for i, v in enumerate(q)] for q in quads]
    return frame, moved


def photo_like(image: Any, quads: list, seed: int) -> tuple[Any, list]:
    """The page as a phone might photograph it, and its line quads moved with it."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-0.03, 0.03, (4, 2)).astype(np.float32) * min(h, w)
    tilt = cv2.getPerspectiveTransform(corners, corners + jitter)
    warp = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), 3.0, 1.0), [0, 0, 1]]) @ tilt
    out = cv2.warpPerspective(image, warp, (w, h), borderValue=(60, 60, 60))
    yy, xx = np.mgrid[0:h, 0:w]
    light = 0.55 + 0.45 * (0.6 * xx / w + 0.4 * yy / h)
    out = np.clip(out * light[..., None], 0, 255).astype(np.uint8)
    out = cv2.GaussianBlur(out, (0, 0), 1.0)
    out = cv2.imdecode(cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 50])[1], 1)
    moved = [
        cv2.perspectiveTransform(np.float32(q).reshape(-1, 1, 2), warp).reshape(-1).tolist()
        for q in quads
    ]
    return out, moved


def timed(finder: Finder, image: Any) -> tuple[list[LineBox], float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    found = finder(image)
    return found, time.perf_counter() - w0, time.process_time() - c0


def measure(
    folder: Path | int, finders: dict[str, Finder], names: tuple[str, ...], look: str = ""
) -> dict[str, dict]:
    """Every named finder on every page of a sample set; hybrid reuses the other two's boxes
    (``finders`` holds the finders that run: those named, both for hybrid)."""
    found: dict[str, list] = {name: [] for name in names}
    for stem, image, truth in pages(folder, look):
        runs = {name: timed(finder, image) for name, finder in finders.items()}
        for name in names:
            if name == "hybrid":
                (det, dw, dc), (ocv, ow, oc) = runs["detector"], runs["opencv"]
                runs[name] = (hybrid(det, ocv), dw + ow, dc + oc)
            found[name].append((stem, image.shape, truth, *runs[name]))
    return {name: score(found[name]) for name in names}


def score(pages_found: list) -> dict:
    rows, found_n, seconds, cpu = [], 0, 0.0, 0.0
    total = Coverage()
    for stem, shape, truth, boxes, elapsed, cpu_s in pages_found:
        found = [b.as_tuple() for b in boxes]
        page = coverage(found, truth)
        total = total + page
        found_n, seconds, cpu = found_n + len(found), seconds + elapsed, cpu + cpu_s
        rows.append(
            {
                "doc": stem,
                "size": f"{shape[1]}x{shape[0]}",
                "truth": page.truth,
                "found": len(found),
                "matched": page.matched,
                "recall": round(page.matched / max(1, page.truth), 3),
                "precision": round(page.matched / max(1, len(found)), 3),
                "covered": round(page.covered / max(1, page.truth), 3),
                "seconds": round(elapsed, 3),
            }
        )
    return {
        "recall": round(total.matched / max(1, total.truth), 4),
        "precision": round(total.matched / max(1, found_n), 4),
        "covered": round(total.covered / max(1, total.truth), 4),
        "unmatched": {k: v for k, v in asdict(total).items() if k != "matched"},
        "pages": len(rows),
        "truth_lines": total.truth,
        "found_lines": found_n,
        "matched_lines": total.matched,
        "seconds_per_page": round(seconds / max(1, len(rows)), 3),
        "cpu_seconds_per_page": round(cpu / max(1, len(rows)), 3),
        "documents": rows,
    }


def print_table(name: str, result: dict) -> None:
    header = (
        f"{'document':<36} {'size':>9} {'truth':>5} {'found':>5} {'recall':>6} {'prec.':>6} "
        f"{'cover.':>6} {'s':>6}"
    )
    print(f"\n{name}\n{header}\n{'-' * len(header)}")
    for row in result["documents"]:
        print(
            f"{row['doc']:<36} {row['size']:>9} {row['truth']:>5} {row['found']:>5} "
            f"{row['recall']:>6.3f} {row['precision']:>6.3f} {row['covered']:>6.3f} "
            f"{row['seconds']:>6.3f}"
        )
    print(
        f"{'all ' + str(result['pages']) + ' pages':<36} {'':>9} {result['truth_lines']:>5} "
        f"{result['found_lines']:>5} {result['recall']:>6.3f} {result['precision']:>6.3f} "
        f"{result['covered']:>6.3f} {result['seconds_per_page']:>6.3f}"
    )


def markdown(results: dict[str, dict[str, dict]], settings: dict) -> str:
    lines = [
        "# Line finding against truth boxes"
        + (" (detector settings)" if "default" in results else ""),
        "",
        "Recall and precision at IoU ≥ 0.5, one-to-one (`lines.match_boxes`); seconds per page of",
        f"line finding alone on {settings['threads']} thread(s), wall clock and CPU. Made by",
        f"`{settings['command']}`.",
        "",
        "| finder | set | pages | truth lines | recall | precision | covered | s/page | CPU s/page "
        "|",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for finder, sets in results.items():
        for name, r in sets.items():
            lines.append(
                f"| {finder} | {name} | {r['pages']} | {r['truth_lines']} | {r['recall']:.3f} | "
                f"{r['precision']:.3f} | {r['covered']:.3f} | {r['seconds_per_page']:.2f} | "
                f"{r['cpu_seconds_per_page']:.2f} |"
            )
    lines += [
        "",
        "covered: the share of truth lines the recogniser gets in one found line or a few on its",
        "row: matched; or one found box on its row spans 80 % of its width and holds no other",
        "row's line; or two or more span 70 % together (`line_coverage`; the JSON also counts",
        "lines merged with another row, found in part, and missed).",
        "",
        "opencv: `lines.find_lines`; detector: PP-OCRv6 small det from the pinned rapidocr wheel,",
        "`ppocr.detect.DEFAULT` settings (chosen among standard settings on rendered demo bills,",
        "see `DetectorSettings` and detector-settings.md); hybrid: detector boxes plus OpenCV",
        "boxes where the detector found nothing (`ppocr.detect.hybrid`), both finders' time.",
        "`SET+photo`: the same pages made photo-like by this script (`photo_like`);",
        "`SET+camera`: those on a 12-megapixel frame (`photographed`). Ground truth",
        "conventions cap what any line finder scores: SROIE splits printed lines at single",
        "spaces (label | value, tax code | price), the e-invoice text layer joins widely spaced",
        "spans; see each set's MANIFEST.md. On a machine shared with other work wall time runs",
        "well over CPU time: compare CPU time.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--finder", choices=sorted(CHOICES), default="opencv")
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated sample sets")
    parser.add_argument("--json", dest="json_out", type=Path, help="also write the figures here")
    parser.add_argument("--markdown", type=Path, help="also write a summary table here")
    parser.add_argument("--threads", type=int, default=1, help="OpenCV and ONNX threads")
    parser.add_argument("--photo", action="store_true", help="also photo-like copies of the sets")
    parser.add_argument("--camera", action="store_true", help="also as 12-megapixel photos")
    parser.add_argument("--synthetic", type=int, default=0, help="rendered bills per demo type")
    parser.add_argument(
        "--detector-settings",
        nargs="?",
        const=",".join(STANDARD_SETTINGS),
        help="the detector in each standard setting (or those named, comma-separated)",
    )
    args = parser.parse_args()
    cv2.setNumThreads(args.threads)
    detector = None
    if args.detector_settings:
        path = find_model(DETECTOR).path
        names: tuple[str, ...] = tuple(args.detector_settings.split(","))
        finders: dict[str, Finder] = {
            name: TextDetector(
                path, threads=args.threads, settings=STANDARD_SETTINGS[name]
            ).find_lines
            for name in names
        }
    else:
        names = CHOICES[args.finder]
        needed = set(FINDERS[:2]) if "hybrid" in names else set(names)
        finders = {"opencv": find_lines} if "opencv" in needed else {}
        if "detector" in needed:
            detector = TextDetector(find_model(DETECTOR).path, threads=args.threads)
            finders["detector"] = detector.find_lines
    results: dict[str, dict[str, dict]] = {name: {} for name in names}
    chosen: list[tuple[str, Path | int]] = [("synthetic", args.synthetic)] if args.synthetic else []
    chosen += [(name, args.samples / name) for name in args.sets.split(",") if name]
    for set_name, folder in chosen:
        if isinstance(folder, Path) and not (folder / "docs").is_dir():
            print(f"{folder}: not found, skipped")
            continue
        looks = [""] + ["photo"] * args.photo + ["camera"] * args.camera
        for look in looks:
            label = set_name + LOOKS[look]
            for finder, result in measure(folder, finders, names, look).items():
                results[finder][label] = result
                print_table(f"{finder} on {label}", result)
    if not any(results.values()):
        sys.exit(f"no sample sets under {args.samples}")
    print(f"\n{'finder':<9} {'set':<15} recall  precision  s/page  CPU s/page")
    for finder, sets in results.items():
        for name, r in sets.items():
            print(
                f"{finder:<9} {name:<15} {r['recall']:.3f}   {r['precision']:.3f}      "
                f"{r['seconds_per_page']:.3f}   {r['cpu_seconds_per_page']:.3f}"
            )
    settings: dict[str, Any] = {
        "iou": 0.5,
        "threads": args.threads,
        "command": "bench/line_recall.py " + " ".join(sys.argv[1:]),
    }
    if detector is not None:
        settings["detector"] = {"model": DETECTOR, **asdict(detector.settings)}
    if args.detector_settings:
        settings["detector"] = {n: asdict(STANDARD_SETTINGS[n]) for n in names}
    if args.json_out:
        args.json_out.write_text(json.dumps({**results, "settings": settings}, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(results, settings))


if __name__ == "__main__":
    main()
