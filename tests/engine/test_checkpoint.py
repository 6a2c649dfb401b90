"""Self-describing model files: round trip, hashing, atomic writes and clear load failures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from recognition.engine.charset import Charset, numeric_charset
from recognition.engine.checkpoint import (
    FORMAT_VERSION,
    Checkpoint,
    CheckpointError,
    file_sha256,
    load_checkpoint,
    save_checkpoint,
)
from recognition.engine.crnn import CRNN, WIDTH_STRIDE, CRNNConfig, output_lengths

TINY = {"channels": (4, 4, 8, 8, 8, 8), "lstm_hidden": 8, "lstm_layers": 1}


def tiny_checkpoint(seed: int = 0, charset: Charset | None = None, **arch) -> Checkpoint:
    charset = charset or numeric_charset()
    torch.manual_seed(seed)
    config = CRNNConfig(num_classes=charset.num_classes, **{**TINY, **arch})
    model = CRNN(config).eval()
    return Checkpoint(
        charset=charset,
        arch=config,
        state_dict=model.state_dict(),
        kind="numeric",
        train_config={"lr": 1e-3, "steps": 3, "seed": seed},
        metrics={"cer": 0.5},
    )


def raw_payload(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


class NotAllowed:
    """A class a weights-only load must refuse to unpickle."""


# -- the tiny CRNN itself --------------------------------------------------------------------------


@pytest.mark.parametrize("width", [8, 64, 200, 512])
def test_crnn_emits_one_frame_per_four_pixels_of_width(width):
    model = tiny_checkpoint().build_model()
    with torch.inference_mode():
        logits = model(torch.zeros(2, 1, 32, width))
    assert logits.shape == (width // WIDTH_STRIDE, 2, numeric_charset().num_classes)


def test_output_lengths_are_a_quarter_of_the_width_and_at_least_one():
    assert output_lengths(torch.tensor([8, 64, 100, 3])).tolist() == [2, 16, 25, 1]


def test_crnn_config_survives_a_dict_round_trip():
    config = CRNNConfig(
        num_classes=7, channels=(4, 4, 8, 8, 8, 8), lstm_hidden=8, extra={"note": "tiny"}
    )
    assert CRNNConfig.from_dict(config.to_dict()) == config


def test_crnn_needs_six_conv_widths():
    with pytest.raises(ValueError, match="six"):
        CRNN(CRNNConfig(num_classes=5, channels=(4, 4, 8)))


# -- round trip ------------------------------------------------------------------------------------


def test_a_saved_checkpoint_loads_back_to_a_model_with_identical_outputs(tmp_path):
    ckpt = tiny_checkpoint(seed=1)
    path = tmp_path / "numeric.pt"
    save_checkpoint(path, ckpt)
    loaded = load_checkpoint(path)
    images = torch.from_numpy(np.random.default_rng(0).normal(0, 1, (3, 1, 32, 96)).astype("f4"))
    with torch.inference_mode():
        assert torch.equal(ckpt.build_model()(images), loaded.build_model()(images))


def test_a_loaded_checkpoint_describes_itself(tmp_path):
    ckpt = tiny_checkpoint(seed=2)
    path = tmp_path / "m.pt"
    save_checkpoint(path, ckpt)
    loaded = load_checkpoint(path)
    assert loaded.charset == ckpt.charset
    assert loaded.arch == ckpt.arch
    assert loaded.kind == "numeric"
    assert loaded.train_config == ckpt.train_config
    assert loaded.metrics == ckpt.metrics
    assert loaded.path == str(path)
    payload = raw_payload(path)
    assert payload["format_version"] == FORMAT_VERSION
    assert payload["input_height"] == 32
    assert payload["normalisation"] == {"mean": 0.5, "std": 0.5}


def test_training_state_is_left_out_on_request(tmp_path):
    ckpt = tiny_checkpoint()
    ckpt.training_state = {"step": 3, "optimizer": {"lr": torch.tensor(0.1)}}
    save_checkpoint(tmp_path / "full.pt", ckpt)
    save_checkpoint(tmp_path / "shipped.pt", ckpt, include_training_state=False)
    assert load_checkpoint(tmp_path / "full.pt").training_state["step"] == 3
    assert load_checkpoint(tmp_path / "shipped.pt").training_state == {}


def test_save_returns_the_sha256_of_the_written_file(tmp_path):
    path = tmp_path / "m.pt"
    digest = save_checkpoint(path, tiny_checkpoint())
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == expected == file_sha256(path)
    assert load_checkpoint(path).sha256 == expected


def test_different_weights_give_different_hashes(tmp_path):
    a = save_checkpoint(tmp_path / "a.pt", tiny_checkpoint(seed=1))
    b = save_checkpoint(tmp_path / "b.pt", tiny_checkpoint(seed=2))
    assert a != b


def test_save_creates_missing_folders_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "models" / "numeric" / "v1.pt"
    save_checkpoint(path, tiny_checkpoint())
    assert sorted(p.name for p in path.parent.iterdir()) == ["v1.pt"]


def test_saving_over_an_existing_checkpoint_replaces_it_without_leftovers(tmp_path):
    path = tmp_path / "m.pt"
    first = save_checkpoint(path, tiny_checkpoint(seed=1))
    second = save_checkpoint(path, tiny_checkpoint(seed=2))
    assert first != second
    assert load_checkpoint(path).sha256 == second
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_a_failed_save_keeps_the_previous_checkpoint_and_removes_its_temp_file(tmp_path):
    path = tmp_path / "m.pt"
    good = save_checkpoint(path, tiny_checkpoint(seed=1))
    broken = tiny_checkpoint(seed=2)
    broken.train_config = {"schedule": lambda step: step}  # cannot be pickled
    with pytest.raises(Exception):  # noqa: B017 - whatever pickle raises, the file must survive
        save_checkpoint(path, broken)
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]
    assert load_checkpoint(path).sha256 == good


# -- load failures ---------------------------------------------------------------------------------


def _random_bytes(path: Path, good: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(4096))


def _truncated(path: Path, good: Path) -> None:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _empty(path: Path, good: Path) -> None:
    path.write_bytes(b"")


def _plain_tensor(path: Path, good: Path) -> None:
    torch.save(torch.zeros(3), path)


def _bare_state_dict(path: Path, good: Path) -> None:
    torch.save(tiny_checkpoint().build_model().state_dict(), path)


def _edited(**changes):
    def write(path: Path, good: Path) -> None:
        payload = raw_payload(good)
        payload.update(changes)
        torch.save(payload, path)

    return write


def _arch_edited(**changes):
    def write(path: Path, good: Path) -> None:
        payload = raw_payload(good)
        payload["arch"] = {**payload["arch"], **changes}
        torch.save(payload, path)

    return write


def _state_dict_missing_classifier(path: Path, good: Path) -> None:
    payload = raw_payload(good)
    payload["state_dict"] = {
        k: v for k, v in payload["state_dict"].items() if not k.startswith("classifier.")
    }
    torch.save(payload, path)


def _custom_object(path: Path, good: Path) -> None:
    payload = raw_payload(good)
    payload["metrics"] = NotAllowed()
    torch.save(payload, path)


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (_random_bytes, "corrupt or unreadable"),
        (_truncated, "corrupt or unreadable"),
        (_empty, "corrupt or unreadable"),
        (_custom_object, "corrupt or unreadable"),
        (_plain_tensor, "not an ocr_review checkpoint"),
        (_bare_state_dict, "not an ocr_review checkpoint"),
        (_edited(format_version=FORMAT_VERSION + 1), f"format version {FORMAT_VERSION + 1}"),
        (_edited(input_height=48), "input height 48"),
        (_arch_edited(channels=[4, 4, 8, 8, 8, 16]), "does not match the CRNN architecture"),
        (_arch_edited(lstm_hidden=16), "does not match the CRNN architecture"),
        (_state_dict_missing_classifier, "does not match the CRNN architecture"),
        (_edited(charset="0123456789"), "classifier size does not match its charset"),
        (_edited(charset="00123"), "does not match the CRNN architecture"),
    ],
    ids=[
        "random-bytes",
        "truncated",
        "empty",
        "pickled-class",
        "plain-tensor",
        "bare-state-dict",
        "newer-format",
        "other-input-height",
        "other-conv-widths",
        "other-lstm-size",
        "missing-weights",
        "charset-size",
        "duplicate-charset",
    ],
)
def test_a_bad_checkpoint_raises_checkpoint_error_naming_the_problem(tmp_path, write, message):
    good = tmp_path / "good.pt"
    save_checkpoint(good, tiny_checkpoint())
    bad = tmp_path / "bad.pt"
    write(bad, good)
    with pytest.raises(CheckpointError, match=message) as excinfo:
        load_checkpoint(bad)
    assert str(bad) in str(excinfo.value)


def test_a_missing_checkpoint_raises_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere.pt")


def test_a_folder_is_not_a_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path)
