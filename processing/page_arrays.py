"""The pixel arrays of a document's pages, made once while its fields are read.

Confirming values, reading them around seals, re-reading numeric value boxes and finding form
tables each want a page as an array. Made per use, an unsure numeric field cost a colour and a
gray conversion of its whole page (about 10 ms an A4 page at 200 dpi). Only the ``keep`` pages
used last are held, so a long document's pages are not all doubled in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from PIL import Image

from recognition.engine.preprocess import colour_page, gray_page


class _Page(Protocol):
    image: Image.Image


class PageArrays:
    """BGR and gray arrays of ``pages`` by page number, the last ``keep`` of each held."""

    def __init__(self, pages: Sequence[_Page], keep: int = 2) -> None:
        self._pages = pages
        self._keep = keep
        self._held: dict[str, OrderedDict[int, np.ndarray]] = {
            "bgr": OrderedDict(),
            "gray": OrderedDict(),
        }

    def bgr(self, page: int) -> np.ndarray:
        return self._get("bgr", page, colour_page)

    def gray(self, page: int) -> np.ndarray:
        return self._get("gray", page, gray_page)

    def _get(self, kind: str, page: int, make: Callable[[Image.Image], np.ndarray]) -> np.ndarray:
        held = self._held[kind]
        if page in held:
            held.move_to_end(page)
            return held[page]
        array = held[page] = make(self._pages[page].image)
        array.flags.writeable = False  # shared by every reader of the page: never changed
        while len(held) > self._keep:
            held.popitem(last=False)
        return array
