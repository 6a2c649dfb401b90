"""Evaluation of line recognisers on a folder of crops with ``labels.tsv`` (pure).

``labels.tsv``: ``relative_path<TAB>text[<TAB>category]`` per line, UTF-8, no header. Texts are
compared after the charset folding rule (and upper-cased with ``ignore_case``).
"""

from __future__ import annotations

import csv
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .ctc import Decoded
from .metrics import Score
from .preprocess import GrayImage, opencv_u8

NUMERIC_CATEGORIES = {
    "id_number",
    "amount",
    "date",
    "account",
    "phone",
    "document_number",
    "number",
}


@dataclass(frozen=True)
class LabelledLine:
    path: Path
    text: str
    category: str = ""
    font: str = ""


def read_labels(folder: str | Path) -> list[LabelledLine]:
    folder = Path(folder)
    labels = folder / "labels.tsv"
    if not labels.is_file():
        raise FileNotFoundError(f"{labels} not found: a line folder needs labels.tsv")
    out = []
    with open(labels, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not row or not row[0].strip():
                continue
            if len(row) < 2:
                raise ValueError(f"{labels}: line without a text: {row!r}")
            category = row[2] if len(row) > 2 else ""
            font = row[3] if len(row) > 3 else ""
            out.append(LabelledLine(folder / row[0], row[1], category, font))
    return out


def load_image(path: Path) -> GrayImage:
    data = np.fromfile(str(path), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE) if data.size else None
    if image is None:
        raise ValueError(f"{path} is not a readable image")
    return opencv_u8(image)


@dataclass
class Report:
    overall: Score
    by_category: dict[str, Score]
    by_font: dict[str, Score]
    latencies_ms: list[float]
    batched_lines_per_s: float
    failures: list[tuple[str, str, str]]  # path, truth, predicted
    confidences: list[tuple[float, bool]]

    def as_dict(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def block(score: Score) -> dict[str, float]:
            return {
                "lines": score.lines,
                "exact": round(score.exact_rate, 4),
                "cer": round(score.cer, 5),
            }

        high = [ok for c, ok in self.confidences if c >= 0.9]
        return {
            **block(self.overall),
            "by_category": {k: block(v) for k, v in sorted(self.by_category.items())},
            "by_font": {k: block(v) for k, v in sorted(self.by_font.items())},
            "latency_ms_median": round(statistics.median(lat), 2) if lat else None,
            "latency_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 2) if lat else None,
            "lines_per_s_batched": round(self.batched_lines_per_s, 1),
            "wrong_share_at_conf_0_9": round(1 - sum(high) / len(high), 4) if high else None,
            "share_below_conf_0_9": round(
                sum(c < 0.9 for c, _ in self.confidences) / len(self.confidences), 4
            )
            if self.confidences
            else None,
        }


Recognizer = Callable[[list[GrayImage]], list[Decoded]]


def evaluate(
    lines: Sequence[LabelledLine],
    recognizer_for: Callable[[LabelledLine], Recognizer],
    *,
    ignore_case: bool = False,
    latency_sample: int = 100,
    batch_size: int = 64,
) -> Report:
    """Score every line with the recogniser ``recognizer_for(line)`` picks for it.

    Latency is timed line by line (batch 1) on the first ``latency_sample`` lines; throughput on
    batches of ``batch_size`` lines that share a recogniser.
    """
    images = [load_image(line.path) for line in lines]
    latencies = []
    for line, image in list(zip(lines, images))[:latency_sample]:
        t0 = time.perf_counter()
        recognizer_for(line)([image])
        latencies.append((time.perf_counter() - t0) * 1000)
    groups: dict[Recognizer, tuple[Recognizer, list[int]]] = {}
    for i, line in enumerate(lines):
        fn = recognizer_for(line)
        groups.setdefault(fn, (fn, []))[1].append(i)
    decoded: list[Decoded | None] = [None] * len(lines)
    t0 = time.perf_counter()
    for fn, indices in groups.values():
        for start in range(0, len(indices), batch_size):
            chunk = indices[start : start + batch_size]
            for i, result in zip(chunk, fn([images[i] for i in chunk])):
                decoded[i] = result
    elapsed = time.perf_counter() - t0
    overall = Score()
    by_cat: defaultdict[str, Score] = defaultdict(Score)
    by_font: defaultdict[str, Score] = defaultdict(Score)
    failures: list[tuple[str, str, str]] = []
    confidences: list[tuple[float, bool]] = []
    for line, dec in zip(lines, decoded):
        assert dec is not None  # every line belongs to one group, and every group was read
        ok = overall.add(dec.text, line.text, ignore_case=ignore_case)
        by_cat[line.category or "-"].add(dec.text, line.text, ignore_case=ignore_case)
        if line.font:
            by_font[line.font].add(dec.text, line.text, ignore_case=ignore_case)
        confidences.append((dec.confidence, ok))
        if not ok:
            failures.append((str(line.path.name), line.text, dec.text))
    return Report(
        overall,
        dict(by_cat),
        dict(by_font),
        latencies,
        len(images) / elapsed if elapsed else 0.0,
        failures,
        confidences,
    )
