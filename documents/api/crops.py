"""Is an image one text line (or a field crop), or a whole page? Pure numpy, no Django."""

from __future__ import annotations

import cv2
import numpy as np

MAX_HEIGHT = 400
MAX_WIDTH = 4000
MAX_LINES = 3
# A single line crop is rarely taller than this; only taller images are checked for several
# lines, so noise in a tight crop cannot get it refused.
_CHECK_LINES_ABOVE = 100


def text_bands(gray: np.ndarray) -> int:
    """Horizontal bands of ink separated by blank rows: roughly the number of text lines."""
    _thr, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if border.mean() > 0.5:  # the margin is background: here light text on a dark ground
        ink = 1 - ink
    inked = ink.mean(axis=1) > 0.01
    min_rows = max(4, gray.shape[0] // 50)
    bands = run = gap = 0
    for row in inked:
        if row:
            run, gap = run + 1, 0
            continue
        gap += 1
        if run >= min_rows and gap >= 2:
            bands += 1
        if gap >= 2:
            run = 0
    return bands + (run >= min_rows)


def size_reason(width: int, height: int) -> str | None:
    """Why an image of this size is more than a line, or None: needs only the size, so it is
    asked of the header before any pixel is decoded."""
    if height > MAX_HEIGHT or width > MAX_WIDTH:
        return f"it is {width}x{height} pixels (a line is at most {MAX_WIDTH}x{MAX_HEIGHT})"
    return None


def page_reason(gray: np.ndarray) -> str | None:
    """Why ``gray`` looks like more than a line, or None when it is small enough to read."""
    height, width = gray.shape[:2]
    reason = size_reason(width, height)
    if reason:
        return reason
    if height > _CHECK_LINES_ABOVE:
        lines = text_bands(gray)
        if lines > MAX_LINES:
            return f"it holds about {lines} lines of text (at most {MAX_LINES})"
    return None
