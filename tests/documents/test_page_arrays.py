"""A document's page arrays are made once while its fields are read; the last few are held."""

import numpy as np
import pytest
from PIL import Image

from processing.page_arrays import PageArrays
from processing.reading import PageResult
from recognition.engine.preprocess import colour_page, gray_page


def _pages(n: int) -> list[PageResult]:
    rng = np.random.default_rng(3)
    return [
        PageResult(Image.fromarray(rng.integers(0, 256, (40, 60, 3), np.uint8)), 0.0)
        for _ in range(n)
    ]


def test_arrays_are_the_page_in_bgr_and_gray_and_made_once():
    pages = _pages(2)
    arrays = PageArrays(pages)
    rgb = np.asarray(pages[1].image)
    assert np.array_equal(arrays.bgr(1), rgb[:, :, ::-1])
    assert arrays.bgr(1).flags["C_CONTIGUOUS"]
    assert np.array_equal(arrays.gray(1), np.asarray(pages[1].image.convert("L")))
    assert arrays.bgr(1) is arrays.bgr(1)
    assert arrays.gray(1) is arrays.gray(1)
    assert np.array_equal(colour_page(pages[0].image), arrays.bgr(0))
    assert np.array_equal(gray_page(pages[0].image), arrays.gray(0))


def test_only_the_pages_used_last_are_held():
    pages = _pages(4)
    arrays = PageArrays(pages, keep=2)
    first = arrays.bgr(0)
    arrays.bgr(1)
    assert arrays.bgr(0) is first  # used again: now the most recent
    arrays.bgr(2)  # page 1 drops out, not page 0
    assert arrays.bgr(0) is first
    again = arrays.bgr(1)
    arrays.bgr(3)
    arrays.bgr(2)
    assert arrays.bgr(1) is not again


def test_a_held_array_cannot_be_changed_by_one_of_its_readers():
    arrays = PageArrays(_pages(1))
    with pytest.raises(ValueError):
        arrays.gray(0)[0, 0] = 1
