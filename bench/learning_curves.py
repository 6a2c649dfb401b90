"""Learning curves of the PP-OCR fine-tuning runs, from their committed logs.

    .venv-bench/bin/python bench/learning_curves.py [--out bench/results/learning-curves]

Reads ``recognition/checkpoints/ppocr-*-log.jsonl`` (written by ``manage.py finetune_ppocr``: an
``eval`` record every few hundred steps on the validation split, the general-text replay set and
the held-out bill-field set) and writes OUT.md (one table a model: step, stage, training lines
seen, hours of one CPU core, exact lines on each set) and OUT.png (held-out exact lines against
training lines seen). Held-out figures are given both strictly (``metrics.comparable`` only) and
"tidy" (spaces beside CJK characters ignored, as ``bench/peers.py`` scores every engine).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.plotting import pyplot  # noqa: E402

LOGS = ROOT / "recognition" / "checkpoints"


@dataclass(frozen=True)
class Run:
    model: str
    log: str
    # Steps the run had already taken when this log started: run 2 of the general model resumed
    # run 1's step-500 checkpoint with a fresh log (MODEL_CARD.md, "Fine-tuning").
    offset: int = 0
    label: str = ""


RUNS = (
    Run("general (PP-OCRv6 small)", "ppocr-ft-log.jsonl", 0, "run 1"),
    Run("general (PP-OCRv6 small)", "ppocr-ft2-log.jsonl", 500, "run 2, shipped at step 800"),
    Run("fast first reader (PP-OCRv6 tiny)", "ppocr-tiny-ft-log.jsonl", 0, "shipped at 2000"),
)


def points(run: Run, hours_before: float = 0.0) -> list[dict]:
    """One row an ``eval`` record; hours of wall time on one core, from the model's first run
    (``hours_before``: the runs before this one)."""
    records = [json.loads(line) for line in (LOGS / run.log).read_text().splitlines() if line]
    start = next(r for r in records if r["event"] == "start")
    batch = start["config"]["batch_size"]
    began = start["time"]
    rows = []
    for r in records:
        if r["event"] in ("start", "resume"):
            began = r["time"] - ((rows[-1]["hours"] - hours_before) * 3600 if rows else 0.0)
        if r["event"] != "eval":
            continue
        step = r["step"] + run.offset
        rows.append(
            {
                "run": run.label,
                "step": step,
                "stage": r["stage"],
                "lines_seen": step * batch,
                "hours": round(hours_before + (r["time"] - began) / 3600, 2),
                "validation": r["validation"]["exact"],
                "general": r["general"]["exact"],
                "heldout": r["heldout"]["exact"],
                "heldout_tidy": r["heldout"].get("exact_tidy"),
                "heldout_cer": r["heldout"]["cer"],
            }
        )
    return rows


def markdown(curves: dict[str, list[dict]]) -> str:
    out = [
        "# Learning curves of the PP-OCR fine-tuning runs",
        "",
        "Made by `bench/learning_curves.py` from the committed logs in `recognition/checkpoints/`.",
        "Exact lines; held-out strictly and, in brackets, with spaces beside CJK characters",
        "ignored (as `bench/peers.py` scores). Hours: wall time of the run on one CPU core of",
        "this project's 2-core machine (evaluation included); lines seen: step × batch (24).",
        "",
    ]
    for model, rows in curves.items():
        out += [
            f"## {model}",
            "",
            "| run | step | stage | lines seen | hours | validation | general replay "
            "| held-out (tidy) | held-out CER |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            tidy = f" ({r['heldout_tidy']:.1%})" if r["heldout_tidy"] is not None else ""
            out.append(
                f"| {r['run']} | {r['step']} | {r['stage']} | {r['lines_seen']:,} | "
                f"{r['hours']:.2f} | {r['validation']:.1%} | {r['general']:.1%} | "
                f"{r['heldout']:.1%}{tidy} | {r['heldout_cer']:.2%} |"
            )
        out.append("")
    return "\n".join(out)


def plot(curves: dict[str, list[dict]], path: Path) -> None:
    plt = pyplot(path)
    if plt is None:
        return

    fig, ax = plt.subplots(figsize=(7, 4))
    for model, rows in curves.items():
        seen = [r["lines_seen"] for r in rows]
        (line,) = ax.plot(seen, [r["heldout_tidy"] for r in rows], marker="o", label=model)
        ax.plot(
            seen,
            [r["heldout"] for r in rows],
            marker=".",
            linestyle="--",
            color=line.get_color(),
            label=f"{model}, strict",
        )
    ax.axhline(0.985, color="grey", linestyle=":", label="target 98.5 %")
    ax.set_xlabel("training lines seen")
    ax.set_ylabel("held-out bill fields, exact")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning-curves"))
    args = parser.parse_args()
    curves: dict[str, list[dict]] = {}
    for run in RUNS:
        rows = curves.setdefault(run.model, [])
        rows.extend(points(run, rows[-1]["hours"] if rows else 0.0))
    for rows in curves.values():  # a resumed run repeats the point it resumed from
        seen: set[int] = set()
        rows[:] = [r for r in rows if not (r["step"] in seen or seen.add(r["step"]))]
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(curves, indent=1) + "\n")
    out.with_suffix(".md").write_text(markdown(curves))
    plot(curves, out.with_suffix(".png"))
    print(out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
