"""Does the confidence mean something? Reliability of a shipped model on the held-out set.

    .venv-bench/bin/python bench/confidence.py [--kind general] [--lines var/eval/general-heldout]
        [--out bench/results/confidence-general]

Reads every held-out line once with the model file the app serves for ``--kind``
(``recognition.shipped.SHIPPED``, through ONNX Runtime as in a worker), keeping each batch's
scores just long enough to score the line confidence at temperature 1 (raw) and at the temperature
shipped in the file (fitted on a validation split when the model was shipped). Writes OUT.json
(reliability bins, expected calibration error, the share of the lines at confidence >= 0.9 that
are wrong, the share below 0.9) and OUT.png:
accuracy per confidence bin against the diagonal, and the accuracy of the lines kept vs the share
kept as the threshold moves.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.plotting import pyplot  # noqa: E402
from recognition.engine.calibration import (  # noqa: E402
    confidences,
    expected_calibration_error,
    reliability,
    threshold_figures,
)
from recognition.engine.evaluate import load_image, read_labels  # noqa: E402
from recognition.engine.metrics import comparable  # noqa: E402
from recognition.engine.readers import open_reader  # noqa: E402
from recognition.shipped import SHIPPED  # noqa: E402

# Lines read per call: the scores of a line at 18,710 classes are ~3 MB, so not all 1,000 at once.
CHUNK = 50


def summary(conf: np.ndarray, ok: np.ndarray) -> dict:
    return {
        "ece": round(expected_calibration_error(conf, ok), 4),
        "at_0_9": {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in threshold_figures(conf, ok, 0.9).items()
        },
        "bins": [
            {
                "low": round(b.low, 2),
                "high": round(b.high, 2),
                "lines": b.lines,
                "accuracy": None if b.accuracy is None else round(b.accuracy, 4),
                "mean_confidence": None
                if b.mean_confidence is None
                else round(b.mean_confidence, 4),
            }
            for b in reliability(conf, ok)
        ],
    }


def plot(path: Path, curves: dict[str, tuple[np.ndarray, np.ndarray]], title: str) -> None:
    plt = pyplot(path)
    if plt is None:
        return

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    lowest = 1.0
    left.plot(
        [0, 1], [0, 1], color="#999", linestyle="--", linewidth=1, label="perfectly calibrated"
    )
    for label, (conf, ok) in curves.items():
        bins = [b for b in reliability(conf, ok) if b.lines]
        left.plot(
            [b.mean_confidence for b in bins],
            [b.accuracy for b in bins],
            marker="o",
            label=f"{label} (ECE {expected_calibration_error(conf, ok):.3f})",
        )
        order = np.argsort(-conf)
        kept = np.arange(1, len(conf) + 1) / len(conf)
        accuracy = np.cumsum(ok[order]) / np.arange(1, len(conf) + 1)
        right.plot(kept, accuracy, label=label)
        lowest = min(lowest, float(accuracy.min()))
    left.set(
        xlabel="line confidence (bin mean)",
        ylabel="share of lines read exactly",
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    left.set_title("Accuracy vs confidence")
    left.legend(loc="upper left", fontsize=8)
    right.set(
        xlabel="share of lines auto-accepted (most confident first)",
        ylabel="accuracy of those lines",
        xlim=(0, 1),
        ylim=(max(0.0, lowest - 0.05), 1.005),
    )
    right.set_title("Accuracy vs coverage")
    right.legend(loc="lower left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kind", choices=("general", "numeric"), default="general")
    parser.add_argument("--lines", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    args = parser.parse_args()
    folder = Path(args.lines or ROOT / "var" / "eval" / f"{args.kind}-heldout")
    out = Path(args.out or ROOT / "bench" / "results" / f"confidence-{args.kind}")
    weights = ROOT / "recognition" / "weights" / SHIPPED[args.kind]
    reader = open_reader(weights, threads=args.threads)
    shipped_t = float(reader.temperature)
    lines = read_labels(folder)
    texts, raw_conf, shipped_conf = [], [], []
    for start in range(0, len(lines), CHUNK):
        chunk = lines[start : start + CHUNK]
        decoded = reader.recognize([load_image(line.path) for line in chunk], keep_scores=True)
        scores = [
            d.log_probs if d.log_probs is not None else np.zeros((0, reader.charset.num_classes))
            for d in decoded
        ]
        texts += [d.text for d in decoded]
        raw_conf += list(confidences(scores, reader.charset, 1.0))
        shipped_conf += [d.confidence for d in decoded]  # the reader's own, at its temperature
    ok = np.array([comparable(t) == comparable(line.text) for t, line in zip(texts, lines)])
    raw = np.array(raw_conf)
    curves = {"raw (T = 1)": (raw, ok)}
    if shipped_t != 1.0:
        curves[f"calibrated (T = {shipped_t:g})"] = (np.array(shipped_conf), ok)
    report = {
        "kind": args.kind,
        "model": SHIPPED[args.kind],
        "lines": len(lines),
        "set": str(folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder),
        "exact": round(float(ok.mean()), 4),
        "shipped_temperature": shipped_t,
        "raw": summary(raw, ok),
    }
    if shipped_t != 1.0:
        report["calibrated"] = summary(curves[f"calibrated (T = {shipped_t:g})"][0], ok)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    plot(
        out.with_suffix(".png"),
        curves,
        f"{args.kind} model on {len(lines)} held-out lines ({ok.mean():.1%} exact)",
    )
    for name in ("raw", "calibrated"):
        if name in report:
            r = report[name]
            print(
                f"{name:>10}: ECE {r['ece']:.3f}; "
                f"conf ≥ 0.9 wrong {r['at_0_9']['wrong_share_above']}, "
                f"below 0.9 {r['at_0_9']['share_below']}"
            )
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
