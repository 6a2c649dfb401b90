"""Synthetic training and evaluation lines: deterministic per seed, covered by the charset, and
drawn only in the fonts of the requested split."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from recognition.engine import fonts, synth
from recognition.engine.charset import Charset, fold, general_charset, numeric_charset
from recognition.engine.synth import (
    NUMERIC_WEIGHTS,
    LineSynth,
    TextSampler,
    degrade,
    render_text,
    write_line_set,
)

pytestmark = pytest.mark.skipif(
    not (fonts.available(held_out=False, cjk=True) and fonts.available(held_out=True, cjk=True)),
    reason="synthetic lines need the CJK fonts scripts/bootstrap.sh installs",
)


@pytest.fixture(scope="module")
def general() -> Charset:
    return general_charset()


def lines(synth: LineSynth, n: int) -> list:
    return [synth.sample() for _ in range(n)]


def test_the_same_seed_gives_identical_lines(general):
    a = lines(LineSynth(general, numeric=False, seed=11), 8)
    b = lines(LineSynth(general, numeric=False, seed=11), 8)
    assert [x.text for x in a] == [y.text for y in b]
    assert [(x.category, x.font) for x in a] == [(y.category, y.font) for y in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))


def test_different_seeds_give_different_lines(general):
    a = lines(LineSynth(general, numeric=False, seed=11), 8)
    b = lines(LineSynth(general, numeric=False, seed=12), 8)
    assert [x.text for x in a] != [y.text for y in b]


@pytest.mark.parametrize("seed", [0, 1])
def test_every_sampled_text_is_folded_and_covered_by_the_charset(general, seed):
    for line in lines(LineSynth(general, numeric=False, seed=seed), 30):
        assert line.text
        assert line.text == fold(line.text)
        assert general.covers(line.text)


def test_numeric_synth_only_yields_numeric_charset_text():
    numeric = numeric_charset()
    for line in lines(LineSynth(numeric, numeric=True, seed=5), 40):
        assert numeric.covers(line.text), line.text
        assert line.category in NUMERIC_WEIGHTS


def test_a_narrow_charset_still_gets_covered_texts():
    # Most generated values use characters outside "0123456789": the sampler must skip them.
    digits = Charset("0123456789")
    sampler = TextSampler(digits, NUMERIC_WEIGHTS, seed=2)
    for _ in range(20):
        _, text = sampler.sample()
        assert text and digits.covers(text)


def test_max_chars_limits_the_length_of_a_sampled_text(general):
    synth = LineSynth(general, numeric=False, seed=4, strength=0)
    assert all(len(synth.sample(max_chars=6).text) <= 6 for _ in range(30))


HELD_OUT = {spec.name: spec.held_out for spec in fonts.FONTS}


@pytest.mark.parametrize("held_out", [False, True])
def test_lines_are_drawn_only_in_the_fonts_of_their_split(general, held_out):
    used = {
        line.font
        for line in lines(LineSynth(general, numeric=False, seed=3, held_out=held_out), 40)
    }
    assert used
    assert {HELD_OUT[name] for name in used} == {held_out}


def test_training_lines_use_several_fonts(general):
    used = {line.font for line in lines(LineSynth(general, numeric=False, seed=3), 40)}
    assert len(used) >= 3


def test_lines_are_uint8_gray_images(general):
    for line in lines(LineSynth(general, numeric=False, seed=9), 10):
        assert line.image.dtype == np.uint8 and line.image.ndim == 2
        assert min(line.image.shape) >= 8


# -- rendering and degradation ---------------------------------------------------------------------


def _font(name: str = "noto-sans-sc") -> fonts.FontSpec:
    return fonts.by_name(name)


def test_render_text_draws_dark_text_on_light_paper():
    img = render_text("客户姓名:张伟", _font(), random.Random(0), size=32)
    assert img.dtype == np.uint8 and img.ndim == 2
    paper = np.median(img)
    assert img.min() < paper - 60


def test_render_text_is_deterministic_per_rng_seed():
    a = render_text("¥1,234.00", _font(), random.Random(7))
    b = render_text("¥1,234.00", _font(), random.Random(7))
    assert np.array_equal(a, b)


def test_render_text_width_grows_with_the_text():
    short = render_text("12", _font(), random.Random(1), size=30)
    long = render_text("1234567890" * 2, _font(), random.Random(1), size=30)
    assert long.shape[1] > 5 * short.shape[1]


@pytest.mark.parametrize("seed", range(6))
def test_degrade_keeps_a_uint8_image_of_the_same_size(seed):
    img = render_text("6222 0210 0012", _font(), random.Random(seed), size=30)
    out = degrade(img, random.Random(seed), strength=3.0)
    assert out.dtype == np.uint8 and out.shape == img.shape


def test_degrade_with_zero_strength_changes_nothing():
    img = render_text("6222", _font(), random.Random(0), size=30)
    assert np.array_equal(degrade(img, random.Random(0), strength=0.0), img)


def test_degrade_is_deterministic_per_seed():
    img = render_text("6222 0210", _font(), random.Random(0), size=30)
    a = degrade(img, random.Random(5), strength=2.0)
    b = degrade(img, random.Random(5), strength=2.0)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("seed", range(4))
def test_held_out_degradations_keep_a_uint8_image_of_the_same_size(seed):
    img = render_text("¥12,345.00 收款人", _font(), random.Random(seed), size=30)
    for fn, _ in synth.HELD_OUT_DEGRADATIONS:
        out = fn(img, random.Random(seed))
        assert out.dtype == np.uint8 and out.shape == img.shape
        assert not np.array_equal(out, img)


def test_held_out_degradations_reach_only_held_out_lines(general, monkeypatch):
    applied: list[str] = []
    names = {fn.__name__ for fn, _ in synth.HELD_OUT_DEGRADATIONS}

    def recording(fn):
        def wrapper(img, rng):
            applied.append(fn.__name__)
            return fn(img, rng)

        return wrapper

    monkeypatch.setattr(
        synth,
        "HELD_OUT_DEGRADATIONS",
        tuple((recording(fn), p) for fn, p in synth.HELD_OUT_DEGRADATIONS),
    )
    lines(LineSynth(general, numeric=False, seed=4, held_out=False), 60)
    assert applied == []
    lines(LineSynth(general, numeric=False, seed=4, held_out=True), 60)
    assert set(applied) == names


# -- the evaluation set on disk --------------------------------------------------------------------


def test_write_line_set_writes_labels_and_readable_pngs(tmp_path, general):
    out = write_line_set(tmp_path / "set", general, numeric=False, n=6, seed=21)
    rows = [r.split("\t") for r in (out / "labels.tsv").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6
    assert all(len(row) == 4 for row in rows)
    for name, text, category, font in rows:
        image = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        assert image is not None and image.ndim == 2 and image.size > 0
        assert general.covers(text)
        assert category in synth.BILL_FIELD_WEIGHTS, "bill fields only, no random characters"
        assert HELD_OUT[font], "the evaluation set is drawn in held-out fonts by default"


def test_write_line_set_is_byte_for_byte_reproducible(tmp_path):
    numeric = numeric_charset()
    a = write_line_set(tmp_path / "a", numeric, numeric=True, n=5, seed=8)
    b = write_line_set(tmp_path / "b", numeric, numeric=True, n=5, seed=8)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert len(names) == 6
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_extra_fonts_are_given_only_to_callers_that_ask_and_are_never_held_out():
    assert not any(f.extra for f in fonts.available(held_out=False))
    assert not any(f.extra for f in fonts.available(held_out=True, extra=True))
    assert all(not f.held_out for f in fonts.FONTS if f.extra)


def test_covers_tells_a_missing_glyph_from_a_drawn_one():
    noto = fonts.by_name("noto-sans-sc")
    assert fonts.covers(noto, "地址 A1¥：囧")
    assert not fonts.covers(noto, "地\U0010fffd")
    try:
        gb_song = fonts.by_name("ar-pl-sungti-gb")
        fonts.font_path(gb_song)
    except fonts.FontMissing:
        pytest.skip("the extra fonts come from scripts/bootstrap.sh")
    assert fonts.covers(gb_song, "金额伍佰元")
    assert not fonts.covers(gb_song, "囧")  # GBK, not GB 2312: the font has no glyph for it
