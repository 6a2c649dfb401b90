"""PaddleOCR's PP-OCRv6 recogniser converted into our torch module: every tensor mapped, the same
probabilities and texts as ONNX Runtime on real crops, trainable, saved in our checkpoint format."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnx
import pytest
import torch
from onnx import numpy_helper

from recognition.engine.checkpoint import CheckpointError
from recognition.engine.checkpoint import load_checkpoint as load_crnn_checkpoint
from recognition.engine.evaluate import read_labels
from recognition.engine.ppocr.checkpoint import (
    PPRecCheckpoint,
    load_checkpoint,
    save_checkpoint,
)
from recognition.engine.ppocr.config import PPRecConfig, pp_ocrv6_rec_small
from recognition.engine.ppocr.convert import ConversionError, convert, map_initializers
from recognition.engine.ppocr.network import PPRecNet
from recognition.engine.ppocr.source import find_model
from recognition.engine.ppocr.verify import compare_with_onnx
from recognition.engine.preprocess import opencv_u8

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def converted() -> PPRecCheckpoint:
    return convert()


@pytest.fixture(scope="module")
def model(converted: PPRecCheckpoint) -> PPRecNet:
    return converted.build_model()


@pytest.fixture(scope="module")
def graph() -> onnx.GraphProto:
    return onnx.load(str(find_model().path)).graph


def colour(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, path
    return opencv_u8(image)


def real_crops(samples: Path, folder: str, n: int) -> list[np.ndarray]:
    """``n`` colour crops spread evenly over a sample folder."""
    lines = read_labels(samples / folder / "lines")
    picked = [lines[i] for i in np.linspace(0, len(lines) - 1, n).astype(int)]
    return [colour(line.path) for line in picked]


def mapped_one_to_one(graph: onnx.GraphProto, net: PPRecNet) -> dict[str, np.ndarray]:
    """Maps the graph onto ``net``, checks one ONNX tensor per parameter and that only scalars,
    shapes and axes are left as plumbing; the graph's initializers by name."""
    mapping = map_initializers(graph, net)
    ours = [k for k in net.state_dict() if not k.endswith("num_batches_tracked")]
    assert sorted(mapping.sources) == sorted(ours)
    assert len(set(mapping.sources.values())) == len(ours), "one ONNX tensor per parameter"
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    plumbing = {arrays[name].dtype.kind + str(arrays[name].ndim) for name in mapping.plumbing}
    assert plumbing <= {"f0", "i0", "i1"}, "only scalars, shapes and axes are left unmapped"
    return {
        name: array
        for name, array in arrays.items()
        if name not in set(mapping.sources.values()) | set(mapping.plumbing)
    }


def test_every_initializer_lands_on_a_parameter(graph: onnx.GraphProto) -> None:
    net = PPRecNet(pp_ocrv6_rec_small())
    rest = mapped_one_to_one(graph, net)
    # Attention's head split and scale, which the conversion checks against our config.
    assert rest and all(array.size in (1, 5) for array in rest.values())
    assert net.num_parameters() == 5_266_910


def test_the_converted_model_keeps_paddle_s_dictionary(converted: PPRecCheckpoint) -> None:
    charset = converted.info.charset
    assert charset.num_classes == 18_710 == converted.config.num_classes
    assert charset.chars[0] == "!" and charset.chars[-1] == " "
    # Fullwidth forms are classes of their own (the reader folds them).
    assert "：" in charset.chars and ":" in charset.chars
    provenance = converted.info.provenance
    assert (provenance.package, provenance.version) == ("rapidocr", "3.10.0")
    assert provenance.licence == "Apache-2.0" and not provenance.modified
    assert provenance.attribution == "PaddleOCR (PaddlePaddle), via rapidocr 3.10.0"
    assert len(provenance.sha256) == 64


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"neck_heads": 6}, "8 heads of 15, ours 6 of 20"),  # same shapes: constants tell
        ({"neck_dims": 96}, r"neck.skip.0.weight: shape \(96, 384, 1, 1\)"),
        ({"stem_channels": (32, 96)}, "stem.down.weight"),
        ({"expand_ratio": 3}, "stages.0.0.expand.weight"),
        ({"neck_final_norm_eps": 1e-5}, "neck.norm: eps"),
    ],
)
def test_a_different_architecture_is_refused_with_the_reason(
    graph: onnx.GraphProto, change: dict[str, object], reason: str
) -> None:
    data = {**pp_ocrv6_rec_small().to_dict(), **change}
    net = PPRecNet(PPRecConfig.from_dict(data))
    with pytest.raises(ConversionError, match=reason):
        map_initializers(graph, net)


def test_a_missing_stage_is_refused(graph: onnx.GraphProto) -> None:
    config = pp_ocrv6_rec_small()
    fewer = PPRecConfig.from_dict(
        {**config.to_dict(), "stages": [[b.to_list() for b in s] for s in config.stages[:-1]]}
    )
    with pytest.raises(ConversionError, match="layers"):
        map_initializers(graph, PPRecNet(fewer))


def test_torch_matches_onnx_runtime_on_real_crops(model: PPRecNet, samples: Path) -> None:
    crops = real_crops(samples, "real-zh", 12) + real_crops(samples, "real", 8)
    result = compare_with_onnx(model, find_model().path, crops)
    assert result.lines == 20
    assert result.max_prob_diff <= 1e-4
    assert result.mismatches == ()


def test_a_backward_pass_reaches_every_parameter(converted: PPRecCheckpoint) -> None:
    net = converted.build_model().train()
    images = torch.randn(2, 3, 48, 96)
    logits = net(images)
    assert logits.shape == (12, 2, 18_710)
    targets = torch.tensor([5, 17, 300, 42, 42, 9])
    loss = torch.nn.functional.ctc_loss(
        logits.log_softmax(-1),
        targets,
        input_lengths=torch.tensor([12, 12]),
        target_lengths=torch.tensor([3, 3]),
        zero_infinity=True,
    )
    loss.backward()
    grads = {name: p.grad for name, p in net.named_parameters()}
    assert all(g is not None and torch.isfinite(g).all() for g in grads.values())
    assert all(float(g.abs().sum()) > 0 for g in grads.values() if g is not None)


def test_the_checkpoint_round_trips(converted: PPRecCheckpoint, tmp_path: Path) -> None:
    path = tmp_path / "pp.pt"
    sha = save_checkpoint(path, converted)
    loaded = load_checkpoint(path)
    assert loaded.sha256 == sha and loaded.path == str(path)
    assert loaded.config == converted.config and loaded.info == converted.info
    images = torch.randn(1, 3, 48, 64)
    with torch.inference_mode():
        assert torch.equal(loaded.build_model()(images), converted.build_model()(images))


def test_a_fine_tuned_copy_is_flagged_modified(converted: PPRecCheckpoint, tmp_path: Path) -> None:
    tuned = converted.modified(converted.state_dict, temperature=1.3)
    save_checkpoint(tmp_path / "tuned.pt", tuned)
    info = load_checkpoint(tmp_path / "tuned.pt").info
    assert info.provenance.modified and info.temperature == 1.3
    assert not converted.info.provenance.modified


def test_each_loader_refuses_the_other_format(converted: PPRecCheckpoint, tmp_path: Path) -> None:
    save_checkpoint(tmp_path / "pp.pt", converted)
    with pytest.raises(CheckpointError, match="input height 48"):
        load_crnn_checkpoint(tmp_path / "pp.pt")
    crnn = Path(__file__).resolve().parents[2] / "recognition" / "weights" / "numeric.pt"
    if crnn.exists():
        with pytest.raises(CheckpointError, match="not a PP-OCR"):
            load_checkpoint(crnn)
    (tmp_path / "broken.pt").write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path / "broken.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")
