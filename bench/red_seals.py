"""Reading lines under red seals: as they are, or with ``ink.SealFreeReader`` (the app's way).

    .venv/bin/python bench/red_seals.py [--bills 12] [--out bench/results/red-seals]

1. The choice, on rendered demo bills with their red seals (``render_bill(..., degrade=True)``,
   ``--bills`` per type, seeds 500 on): every truth line cropped from the colour page and read by
   the shipped general model as it is, without its red ink (the red channel) where it has red
   ink, and by a SealFreeReader that reads every stamped crop both ways or (the app's) only those
   read under ``ink.SURE`` as they are, the more confident reading kept. Exact lines overall and
   on the lines with red ink, and how many second readings each stamped line cost.
2. What it does on the real sample line crops (measure only): each set read in gray (as
   ``bench/peers.py --gray`` reads every engine), in colour as the app's pages give them, and in
   colour through the app's SealFreeReader. Scoring as ``bench/peers.py``.

Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench import engines  # noqa: E402
from bench.peers import SAMPLES  # noqa: E402
from demo.render import render_bill  # noqa: E402
from recognition.engine.evaluate import read_labels  # noqa: E402
from recognition.engine.ink import (  # noqa: E402
    MIN_RED_SHARE,
    SURE,
    SealFreeReader,
    red_ink_share,
    without_red_ink,
)
from recognition.engine.metrics import comparable  # noqa: E402
from recognition.engine.preprocess import ImageError, crop_box  # noqa: E402
from recognition.engine.readers import LineReader, open_reader  # noqa: E402
from recognition.shipped import SHIPPED  # noqa: E402

TYPES = ("vat_invoice", "bank_slip", "loan_application")
REAL = {"real-zh": False, "real-zh2": False, "real": True}  # set: compared ignoring case
CHUNK = 40
ALWAYS = 1.01  # a SealFreeReader that reads every stamped crop twice


def same(predicted: str, truth: str, ignore_case: bool = False) -> bool:
    return comparable(engines.tidy_spaces(predicted), ignore_case=ignore_case) == comparable(
        engines.tidy_spaces(truth), ignore_case=ignore_case
    )


def rendered(reader: LineReader, bills: int) -> dict:
    seal_free = SealFreeReader(reader, sure=ALWAYS)
    unsure = SealFreeReader(reader)
    counts = dict.fromkeys(("lines", "as_is", "seal_free", "red_lines", "red_as_is"), 0)
    counts |= {"red_without_red": 0, "red_seal_free": 0, "unsure": 0, "red_unsure": 0}
    counts |= {"second_readings": 0}
    for code in TYPES:
        for seed in range(500, 500 + bills):
            bill = render_bill(code, seed, degrade=True)
            page = np.asarray(bill.image.convert("RGB"))[:, :, ::-1]
            crops, truths = [], []
            for text, box in bill.lines:
                try:
                    crops.append(crop_box(page, box))
                except ImageError:
                    continue
                truths.append(text)
            as_is = reader.recognize(crops)
            both = seal_free.recognize(crops)
            when_unsure = unsure.recognize(crops)
            red = [i for i, c in enumerate(crops) if red_ink_share(c) >= MIN_RED_SHARE]
            no_red = dict(zip(red, reader.recognize([without_red_ink(crops[i]) for i in red])))
            for i, truth in enumerate(truths):
                counts["lines"] += 1
                counts["as_is"] += same(as_is[i].text, truth)
                counts["seal_free"] += same(both[i].text, truth)
                counts["unsure"] += same(when_unsure[i].text, truth)
                if i in no_red:
                    counts["red_unsure"] += same(when_unsure[i].text, truth)
                    counts["second_readings"] += as_is[i].confidence < SURE
                    counts["red_lines"] += 1
                    counts["red_as_is"] += same(as_is[i].text, truth)
                    counts["red_without_red"] += same(no_red[i].text, truth)
                    counts["red_seal_free"] += same(both[i].text, truth)
        print(code, counts, flush=True)
    return counts


def real(reader: LineReader) -> dict:
    seal_free = SealFreeReader(reader)
    out = {}
    for name, ignore_case in REAL.items():
        folder = SAMPLES / name / "lines"
        if not folder.is_dir():
            print(f"{folder}: not found, skipped")
            continue
        labels = read_labels(folder)
        right = dict.fromkeys(("gray", "colour", "colour_seal_free"), 0)
        red_lines = second_readings = 0
        for start in range(0, len(labels), CHUNK):
            chunk = labels[start : start + CHUNK]
            colour = [cv2.imread(str(line.path), cv2.IMREAD_COLOR) for line in chunk]
            gray = [cv2.cvtColor(c, cv2.COLOR_BGR2GRAY) for c in colour]
            red = [red_ink_share(c) >= MIN_RED_SHARE for c in colour]
            as_is = reader.recognize(colour)
            red_lines += sum(red)
            second_readings += sum(r and d.confidence < SURE for r, d in zip(red, as_is))
            for key, decoded in (
                ("gray", reader.recognize(gray)),
                ("colour", as_is),
                ("colour_seal_free", seal_free.recognize(colour)),
            ):
                right[key] += sum(
                    same(d.text, line.text, ignore_case) for d, line in zip(decoded, chunk)
                )
        out[name] = {
            "lines": len(labels),
            "red_lines": red_lines,
            "second_readings": second_readings,
            **{k: round(v / len(labels), 4) for k, v in right.items()},
        }
        print(name, out[name], flush=True)
    return out


def markdown(report: dict) -> str:
    r = report["rendered"]
    lines = [
        "# Lines under red seals (`bench/red_seals.py`)",
        "",
        f"Rendered demo bills with their seals ({report['bills']} of each type, degraded), every "
        "truth line cropped from the colour page, the shipped general model:",
        "",
        "| lines | as they are | without red ink | both ways, always | both ways under "
        f"{SURE} (the app's) |",
        "|---|---|---|---|---|",
        f"| with red ink ({r['red_lines']}) | {r['red_as_is']} | {r['red_without_red']} | "
        f"{r['red_seal_free']} ({r['red_lines']} second readings) | {r['red_unsure']} "
        f"({r['second_readings']} second readings) |",
        f"| all ({r['lines']}) | {r['as_is']} | | {r['seal_free']} | {r['unsure']} |",
        "",
        "Real sample line crops (measure only), exact lines as `bench/peers.py` scores them:",
        "",
        "| set | lines (with red ink, read twice) | gray | colour | colour, the app's reader |",
        "|---|---|---|---|---|",
    ]
    for name, s in report["real"].items():
        lines.append(
            f"| {name} | {s['lines']} ({s['red_lines']}, {s['second_readings']}) | {s['gray']:.1%} "
            f"| {s['colour']:.1%} "
            f"| {s['colour_seal_free']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bills", type=int, default=12, help="stamped bills per demo type")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "red-seals")
    args = parser.parse_args()
    reader = open_reader(ROOT / "recognition" / "weights" / SHIPPED["general"], threads=1)
    report = {"bills": args.bills, "rendered": rendered(reader, args.bills), "real": real(reader)}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(report))


if __name__ == "__main__":
    main()
