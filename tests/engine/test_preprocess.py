"""Page and line preprocessing on small synthetic images (no fonts needed: cv2's Hershey faces)."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from recognition.engine.preprocess import (
    LINE_HEIGHT,
    MAX_LINE_WIDTH,
    WIDTH_BUCKETS,
    WIDTH_STEP,
    ImageError,
    binarize,
    bucket_width,
    clahe,
    crop_box,
    denoise,
    deskew,
    estimate_skew,
    normalize,
    pad_batch,
    prepare_line,
    resize_to_height,
    rotate,
    stretch_contrast,
    to_gray,
)

WHITE = 1.0  # normalised white: padding must read as paper


def text_line(
    text: str = "6222 0210 0012 3456", *, height: int = 40, paper: int = 235, ink: int = 30
) -> np.ndarray:
    """A gray line crop: ``text`` in ink on paper, about ``height`` px high."""
    scale = height / 40
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    img = np.full((height, w + int(20 * scale)), paper, np.uint8)
    cv2.putText(
        img,
        text,
        (int(10 * scale), (height + h) // 2),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        ink,
        2,
        cv2.LINE_AA,
    )
    return img


def text_page(lines: int = 10) -> np.ndarray:
    page = np.full((600, 900), 255, np.uint8)
    for k in range(lines):
        text = f"ACCOUNT 6222 0210 {k:04d} 8888  AMOUNT 1,234.{k:02d}"
        cv2.putText(page, text, (40, 50 + k * 52), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 0, 2, cv2.LINE_AA)
    return page


# -- to_gray ---------------------------------------------------------------------------------------


def test_to_gray_returns_a_uint8_gray_image_unchanged():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert np.array_equal(to_gray(gray), gray)


def test_to_gray_reads_three_channels_as_bgr():
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 2] = 255
    blue = np.zeros((2, 2, 3), np.uint8)
    blue[..., 0] = 255
    # ITU-R 601 luma: red weighs 0.299, blue 0.114.
    assert to_gray(red)[0, 0] == pytest.approx(0.299 * 255, abs=1)
    assert to_gray(blue)[0, 0] == pytest.approx(0.114 * 255, abs=1)


def test_to_gray_ignores_the_alpha_channel_of_bgra():
    bgr = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    opaque = np.dstack([bgr, np.full((5, 7), 255, np.uint8)])
    transparent = np.dstack([bgr, np.zeros((5, 7), np.uint8)])
    assert np.array_equal(to_gray(opaque), to_gray(bgr))
    assert np.array_equal(to_gray(transparent), to_gray(bgr))


def test_to_gray_squeezes_a_single_channel_axis():
    gray = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(to_gray(gray[:, :, None]), gray)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (np.array([[0.0, 0.5, 1.0]], np.float32), [0, 127, 255]),
        (np.array([[0.0, 100.0, 300.0, -5.0]]), [0, 100, 255, 0]),
        (np.array([[False, True]]), [0, 255]),
        (np.array([[-20, 7, 1000]], np.int16), [0, 7, 255]),
        (np.array([[0, 128, 65535]], np.uint16), [0, 128, 255]),
    ],
    ids=["float-unit-range", "float-pixel-range", "bool", "int16", "uint16"],
)
def test_to_gray_converts_other_dtypes_to_uint8(image, expected):
    out = to_gray(image)
    assert out.dtype == np.uint8
    assert out.ravel().tolist() == pytest.approx(expected, abs=1)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros(10, np.uint8), "shape"),
        (np.zeros((4, 4, 2), np.uint8), "shape"),
        (np.zeros((4, 4, 5), np.uint8), "shape"),
        (np.zeros((2, 2, 2, 2), np.uint8), "shape"),
        (np.array(7), "shape"),
        (np.zeros((0, 10), np.uint8), "empty"),
        (np.zeros((10, 0, 3), np.uint8), "empty"),
        ([[0, 255], [255, 0]], "numpy array"),
        (None, "numpy array"),
        (np.full((8, 8), "x"), "dtype"),
        (np.full((8, 8), None, dtype=object), "dtype"),
        (np.full((8, 8), b"x"), "dtype"),
        (np.ones((8, 8), complex), "dtype"),
    ],
    ids=[
        "1d",
        "2-channels",
        "5-channels",
        "4d",
        "0d",
        "no-rows",
        "no-columns",
        "list",
        "none",
        "strings",
        "objects",
        "bytes",
        "complex",
    ],
)
def test_to_gray_rejects_what_is_not_an_image_with_a_clear_image_error(image, message):
    with pytest.raises(ImageError, match=message):
        to_gray(image)


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


# -- denoise, clahe, binarize ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["bilateral", "gaussian"])
def test_denoise_smooths_noise_and_keeps_shape_and_dtype(method):
    noisy = np.clip(np.random.default_rng(1).normal(180, 20, (60, 80)), 0, 255).astype(np.uint8)
    out = denoise(noisy, method=method)
    assert out.shape == noisy.shape and out.dtype == np.uint8
    assert out.std() < noisy.std()


def test_denoise_rejects_an_unknown_method():
    with pytest.raises(ValueError, match="median"):
        denoise(np.zeros((8, 8), np.uint8), method="median")


def test_clahe_raises_the_contrast_of_a_flat_image():
    flat = np.tile(np.linspace(110, 140, 128).astype(np.uint8), (64, 1))
    out = clahe(flat)
    assert out.shape == flat.shape and out.dtype == np.uint8
    assert out.std() > flat.std()


@pytest.mark.parametrize("block", [31, 30, 16])  # even blocks are made odd
def test_binarize_gives_black_text_on_white(block):
    line = text_line(paper=200, ink=60)
    out = binarize(line, block=block)
    assert set(np.unique(out).tolist()) <= {0, 255}
    ink = line < 100
    assert (out[ink] == 0).mean() > 0.9
    assert (out[line == 200] == 255).mean() > 0.9


# -- skew ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("angle", [-8.0, -3.0, -1.0, 0.7, 2.5, 6.0])
def test_deskew_recovers_a_known_rotation_of_a_text_page(angle):
    tilted = rotate(text_page(), angle)
    straight, removed = deskew(tilted)
    assert removed == pytest.approx(angle, abs=0.5)
    assert abs(estimate_skew(straight)) <= 0.5


def test_deskew_straightens_a_colour_page_and_fills_with_white():
    page = cv2.cvtColor(rotate(text_page(), 4.0), cv2.COLOR_GRAY2BGR)
    straight, removed = deskew(page)
    assert removed == pytest.approx(4.0, abs=0.5)
    assert straight.ndim == 3 and straight.shape[2] == 3
    assert straight[0, 0].tolist() == [255, 255, 255]


def test_deskew_leaves_a_straight_page_untouched():
    page = text_page()
    out, removed = deskew(page)
    assert removed == 0.0
    assert out is page


def test_estimate_skew_of_a_blank_page_is_zero():
    assert estimate_skew(np.full((300, 400), 255, np.uint8)) == 0.0


def test_rotate_grows_the_canvas_so_no_ink_is_cut():
    page = text_page()
    turned = rotate(page, 30)
    assert turned.shape[0] > page.shape[0] and turned.shape[1] > page.shape[1]
    assert (turned < 128).sum() == pytest.approx((page < 128).sum(), rel=0.1)
    assert turned[0, 0] == 255


def test_rotate_by_a_quarter_turn_swaps_width_and_height():
    assert rotate(np.zeros((100, 200), np.uint8), 90).shape == (200, 100)


# -- crop_box --------------------------------------------------------------------------------------


def coordinate_image(h: int = 100, w: int = 200) -> np.ndarray:
    """Each pixel holds its own (y, x) so a crop tells where it was taken."""
    ys, xs = np.mgrid[0:h, 0:w]
    return np.dstack([ys, xs]).astype(np.int32)


def test_crop_box_without_margin_is_the_box():
    img = coordinate_image()
    assert np.array_equal(crop_box(img, (50, 20, 150, 40), margin=0), img[20:40, 50:150])


def test_crop_box_widens_by_the_margin_times_the_box_height():
    img = coordinate_image()
    crop = crop_box(img, (50, 20, 150, 40), margin=0.25)  # 5 px on each side
    assert crop[0, 0].tolist() == [15, 45]
    assert crop[-1, -1].tolist() == [44, 154]


@pytest.mark.parametrize(
    ("box", "top_left", "bottom_right"),
    [
        ((-50, -10, 120, 30), (0, 0), (30, 120)),
        ((150, 80, 260, 130), (79, 149), (99, 199)),
        ((-5, -5, 500, 500), (0, 0), (99, 199)),
    ],
)
def test_crop_box_clamps_to_the_image(box, top_left, bottom_right):
    crop = crop_box(coordinate_image(), box, margin=0.02)
    assert tuple(crop[0, 0].tolist()) == top_left
    assert tuple(crop[-1, -1].tolist()) == bottom_right


@pytest.mark.parametrize(
    "box", [(300, 10, 400, 30), (10, 150, 50, 170), (-100, -100, -50, -50), (60, 20, 60, 40)]
)
def test_crop_box_outside_the_image_raises_image_error(box):
    with pytest.raises(ImageError, match="outside"):
        crop_box(coordinate_image(), box, margin=0)


# -- contrast, resizing, buckets -------------------------------------------------------------------


def test_stretch_contrast_spreads_a_faint_line_over_the_full_range():
    faint = text_line(paper=160, ink=120)
    out = stretch_contrast(faint)
    assert out.min() == 0 and out.max() == 255
    assert out[faint == 120].mean() < out[faint == 160].mean()


def test_stretch_contrast_turns_light_text_on_a_dark_band_into_dark_on_light():
    inverted = text_line(paper=30, ink=220)
    out = stretch_contrast(inverted)
    assert np.median(out) > 200
    assert out[inverted == 220].mean() < 60


def test_stretch_contrast_of_a_blank_crop_is_white():
    assert (stretch_contrast(np.full((20, 30), 90, np.uint8)) == 255).all()


@pytest.mark.parametrize(
    ("height", "width", "expected_width"),
    [
        (32, 100, 104),
        (64, 64, 32),
        (40, 2000, 1600),
        (33, 100, 104),  # 96.97 px rounds up to the next multiple of 8
        (10, 3, 16),
        (100, 1, 8),  # never narrower than one step
        (40, 30000, MAX_LINE_WIDTH),
    ],
)
def test_resize_to_height_keeps_the_aspect_ratio_rounded_up_to_eight(height, width, expected_width):
    out = resize_to_height(np.full((height, width), 200, np.uint8))
    assert out.shape == (LINE_HEIGHT, expected_width)
    assert out.shape[1] % WIDTH_STEP == 0


def test_a_long_line_is_not_squeezed_into_a_short_width():
    short = prepare_line(text_line("6222 0210", height=40))
    long = prepare_line(text_line("6222 0210 " * 8, height=40))
    assert long.shape[1] > 320
    # Width grows with length: eight times the text is about eight times as wide.
    assert long.shape[1] / short.shape[1] == pytest.approx(8, rel=0.15)


def test_a_2000_by_40_crop_keeps_its_proportions():
    crop = np.full((40, 2000), 230, np.uint8)
    crop[15:25, ::50] = 0
    assert prepare_line(crop).shape == (LINE_HEIGHT, 1600)


def test_bucket_width_is_monotonic_and_never_narrower_than_the_line():
    widths = range(1, MAX_LINE_WIDTH + 600)
    buckets = [bucket_width(w) for w in widths]
    assert all(a <= b for a, b in itertools.pairwise(buckets))
    assert all(b in WIDTH_BUCKETS for b in buckets)
    assert all(b >= w for w, b in zip(widths, buckets, strict=True) if w <= MAX_LINE_WIDTH)
    assert bucket_width(10**6) == MAX_LINE_WIDTH


def test_normalize_maps_black_and_white_to_minus_one_and_one():
    assert float(normalize(np.uint8([255]))[0]) == WHITE
    out = normalize(np.array([[0, 255]], np.uint8))
    assert out.dtype == np.float32
    assert out.tolist() == [[-1.0, 1.0]]


# -- prepare_line and pad_batch --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        text_line(),
        text_line(height=80, paper=140, ink=100),
        text_line(paper=20, ink=200),
        cv2.cvtColor(text_line(), cv2.COLOR_GRAY2BGR),
        cv2.cvtColor(text_line(), cv2.COLOR_GRAY2BGRA),
        text_line().astype(np.float32) / 255,
    ],
    ids=["gray", "tall-faint", "inverted", "bgr", "bgra", "float"],
)
def test_prepare_line_gives_float32_height_32_dark_text_on_white(line):
    out = prepare_line(line)
    assert out.dtype == np.float32
    assert out.ndim == 2 and out.shape[0] == LINE_HEIGHT and out.shape[1] % WIDTH_STEP == 0
    assert out.min() >= -1.0 and out.max() <= 1.0
    assert np.median(out) > 0.8  # background is white
    assert out.min() < -0.5  # and the text is dark


def test_prepare_line_reads_gray_and_colour_copies_alike():
    line = text_line()
    assert np.allclose(
        prepare_line(line), prepare_line(cv2.cvtColor(line, cv2.COLOR_GRAY2BGR)), atol=1 / 64
    )


@pytest.mark.parametrize("shape", [(1, 1), (1, 500), (500, 1)])
def test_prepare_line_rejects_a_crop_too_small_to_read(shape):
    with pytest.raises(ImageError, match="too small"):
        prepare_line(np.zeros(shape, np.uint8))


def test_pad_batch_right_pads_with_background_to_the_widest_lines_bucket():
    a = prepare_line(text_line("12", height=40))
    b = prepare_line(text_line("6222 0210 0012", height=40))
    batch = pad_batch([a, b])
    width = bucket_width(max(a.shape[1], b.shape[1]))
    assert batch.shape == (2, 1, LINE_HEIGHT, width)
    assert batch.dtype == np.float32
    assert np.array_equal(batch[0, 0, :, : a.shape[1]], a)
    assert np.array_equal(batch[1, 0, :, : b.shape[1]], b)
    assert (batch[0, 0, :, a.shape[1] :] == WHITE).all()
    assert (batch[1, 0, :, b.shape[1] :] == WHITE).all()


def test_pad_batch_cuts_lines_wider_than_an_explicit_width():
    line = prepare_line(text_line("6222 0210 0012 3456 7890", height=40))
    assert line.shape[1] > 128
    batch = pad_batch([line], width=128)
    assert batch.shape == (1, 1, LINE_HEIGHT, 128)
    assert np.array_equal(batch[0, 0], line[:, :128])
