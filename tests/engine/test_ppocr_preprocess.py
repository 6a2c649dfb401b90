"""The PP-OCR recogniser's pure pieces: resize and pad like PaddleOCR, frames per width, the
folding of its output, its dictionary and the model description stored in files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recognition.engine.ctc import Decoded
from recognition.engine.ppocr.config import PPRecConfig, pp_ocrv6_rec_small
from recognition.engine.ppocr.decode import fold_decoded
from recognition.engine.ppocr.info import (
    ModelInfo,
    ModelInfoError,
    Preprocessing,
    Provenance,
    paddle_charset,
)
from recognition.engine.ppocr.network import PPRecNet
from recognition.engine.ppocr.preprocess import (
    bucket_width,
    output_frames,
    pad_batch,
    prepare_line,
    resized_width,
)

torch.set_num_threads(1)


@pytest.mark.parametrize(
    ("size", "width"),
    [
        ((48, 100), 100),
        ((24, 100), 200),
        ((32, 33), 50),  # ceil(49.5)
        ((96, 10), 5),
        ((10, 1000), 2048),  # capped
    ],
)
def test_lines_are_resized_to_48_px_keeping_their_proportions(
    size: tuple[int, int], width: int
) -> None:
    h, w = size
    assert resized_width(w, h) == width
    line = prepare_line(np.full((h, w, 3), 255, np.uint8))
    assert line.shape == (3, 48, width) and line.dtype == np.float32


def test_pixels_are_normalised_to_minus_one_one_and_padding_is_zero() -> None:
    image = np.zeros((48, 20, 3), np.uint8)
    image[:, :10] = 255
    image[:, :, 0] = 0  # blue channel first: BGR kept as given
    line = prepare_line(image)
    assert line[1, 0, 0] == 1.0 and line[1, 0, 15] == -1.0 and line[0, 0, 0] == -1.0
    batch = pad_batch([line], 32)
    assert batch.shape == (1, 3, 48, 32)
    assert (batch[0, :, :, 20:] == 0).all()


def test_gray_crops_become_three_equal_channels() -> None:
    gray = np.random.default_rng(0).integers(0, 256, (30, 90), dtype=np.uint8)
    line = prepare_line(gray)
    assert np.array_equal(line[0], line[1]) and np.array_equal(line[1], line[2])


@pytest.mark.parametrize(
    ("width", "bucket"),
    [(1, 320), (320, 320), (321, 328), (500, 504), (2048, 2048)],
)
def test_each_line_is_padded_to_its_own_width_but_never_below_320(width: int, bucket: int) -> None:
    assert bucket_width(width) == bucket


def test_frames_per_width_match_the_network() -> None:
    net = PPRecNet(pp_ocrv6_rec_small(num_classes=5)).eval()
    with torch.inference_mode():
        for width in (8, 17, 100, 321, 640):
            assert net(torch.zeros(1, 3, 48, width)).shape[0] == output_frames(width)


def test_the_network_refuses_lines_of_another_height() -> None:
    net = PPRecNet(pp_ocrv6_rec_small(num_classes=5)).eval()
    with pytest.raises(ValueError, match="48 px"), torch.inference_mode():
        net(torch.zeros(1, 3, 64, 64))


def decoded(text: str) -> Decoded:
    n = len(text)
    return Decoded(
        text, 0.5, tuple(i / 10 for i in range(n)), tuple((i / n, (i + 1) / n) for i in range(n))
    )


@pytest.mark.parametrize(
    ("text", "folded", "kept"),
    [
        ("名称：公司", "名称:公司", [0, 1, 2, 3, 4]),
        ("（湖北）", "(湖北)", [0, 1, 2, 3]),
        ("ＡＢ　12", "AB 12", [0, 1, 2, 3, 4]),
        ("　金额　　￥5", "金额 ¥5", [1, 2, 3, 5, 6]),
        ("a  b ", "a b", [0, 1, 3]),
        ("plain", "plain", [0, 1, 2, 3, 4]),
    ],
)
def test_output_is_folded_character_by_character(text: str, folded: str, kept: list[int]) -> None:
    original = decoded(text)
    out = fold_decoded(original)
    assert out.text == folded
    assert out.char_confidences == tuple(original.char_confidences[i] for i in kept)
    assert out.char_spans == tuple(original.char_spans[i] for i in kept)
    assert out.confidence == original.confidence


def test_paddle_s_dictionary_gets_a_space_class_after_it() -> None:
    charset = paddle_charset("a\nb\n：\n")
    assert charset.chars == "ab： " and charset.num_classes == 5
    with pytest.raises(ModelInfoError):
        paddle_charset("a\nab")
    with pytest.raises(ModelInfoError):
        paddle_charset("a\n \nb")


def test_the_model_description_survives_onnx_metadata() -> None:
    info = ModelInfo(
        architecture="PP-OCRv6_rec_small",
        charset=paddle_charset("甲\n乙\n："),
        provenance=Provenance("rapidocr", "3.10.0", "x.onnx", "0" * 64, modified=True),
        temperature=1.5,
    )
    meta = info.to_metadata()
    assert all(isinstance(v, str) for v in meta.values())
    assert ModelInfo.from_metadata(meta) == info
    assert ModelInfo.from_dict(info.to_dict()) == info


def test_paddle_s_bare_metadata_is_read_as_probabilities() -> None:
    info = ModelInfo.from_metadata({"character": "a\nb"}, architecture="x")
    assert (info.output, info.layout, info.charset.chars) == ("probabilities", "NTC", "ab ")
    with pytest.raises(ModelInfoError, match="no character set"):
        ModelInfo.from_metadata({})


@pytest.mark.parametrize(
    "bad", [{"channels": "RGB"}, {"width_step": 4}, {"min_width": 0}, {"max_width": 100}]
)
def test_unusable_preprocessing_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ModelInfoError):
        Preprocessing(**bad)  # type: ignore[arg-type]


def test_the_architecture_round_trips_through_a_plain_dict() -> None:
    config = pp_ocrv6_rec_small()
    assert PPRecConfig.from_dict(config.to_dict()) == config
    assert config.feature_channels == 384
    with pytest.raises(ValueError, match="expects"):
        PPRecConfig.from_dict({**config.to_dict(), "stem_channels": [48, 64]})
