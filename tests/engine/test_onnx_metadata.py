"""A model file's metadata is read from its encoding without loading the graph, exactly as the
``onnx`` package reads it; a damaged or foreign file is a ValueError, not a crash."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from recognition.engine.readers import model_kind, onnx_metadata

WEIGHTS = Path(__file__).resolve().parents[2] / "recognition" / "weights"


def _onnx_files() -> list[Path]:
    files = sorted(WEIGHTS.glob("*.onnx"))
    if not files:
        pytest.fail("recognition/weights has no ONNX file: scripts/bootstrap.sh writes them")
    return files


def test_every_shipped_file_reads_as_the_onnx_package_reads_it() -> None:
    for path in _onnx_files():
        model = onnx.load(str(path), load_external_data=False)
        assert onnx_metadata(path) == {p.key: p.value for p in model.metadata_props}, path.name
        assert onnx_metadata(path), f"{path.name} says what it reads"


def test_a_model_written_with_every_kind_of_field(tmp_path: Path) -> None:
    """Varints (ir_version), strings (producer, doc string), the graph, opsets, and entries with
    an empty value or Chinese text, in whatever order the writer puts them."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
    )
    model = helper.make_model(graph, producer_name="test", doc_string="a doc string " * 50)
    helper.set_model_props(model, {"kind": "general", "empty": "", "名称": "发票 ¥"})
    model.model_version = 7
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    assert onnx_metadata(path) == {"kind": "general", "empty": "", "名称": "发票 ¥"}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x08", id="truncated-varint"),
        pytest.param(b"\x3a\xff\xff\x01" + b"x" * 10, id="field-longer-than-file"),
        pytest.param(b"\x0b\x00", id="group-wire-type"),
        pytest.param(b"PK\x03\x04 a zip, not a model", id="zip"),
        pytest.param(b"\x72\x06\x0a\x01k\x12\x09v", id="metadata-value-past-its-entry"),
    ],
)
def test_a_damaged_or_foreign_file_is_a_value_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(data)
    if data:
        with pytest.raises(ValueError):
            onnx_metadata(path)
    else:
        assert onnx_metadata(path) == {}
    with pytest.raises(ValueError):
        model_kind(path)


def test_a_truncated_shipped_model_is_refused(tmp_path: Path) -> None:
    whole = _onnx_files()[0].read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError):
        onnx_metadata(path)
