"""The fonts synthetic lines are drawn with, and which of them are held out for validation.

Fonts come from Debian packages the set-up script installs (fonts-noto-cjk, fonts-arphic-*,
fonts-wqy-*, fonts-dejavu-core, fonts-liberation2). Held-out fonts are never used for training, so
validation figures measure reading unseen type, not memorised glyph shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class FontSpec:
    name: str
    file: str  # file name, searched for under FONT_DIRS
    family: str | None  # family inside a .ttc collection; None for single-face files
    cjk: bool
    held_out: bool = False
    handwriting: bool = False


FONTS: tuple[FontSpec, ...] = (
    FontSpec("noto-sans-sc", "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", cjk=True),
    FontSpec("noto-sans-sc-bold", "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC", cjk=True),
    FontSpec("noto-serif-sc", "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC", cjk=True),
    FontSpec("noto-serif-sc-bold", "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC", cjk=True),
    FontSpec("noto-sans-mono-sc", "NotoSansCJK-Regular.ttc", "Noto Sans Mono CJK SC", cjk=True),
    FontSpec("ar-pl-uming", "uming.ttc", "AR PL UMing CN", cjk=True),
    FontSpec("ar-pl-ukai", "ukai.ttc", "AR PL UKai CN", cjk=True, handwriting=True),
    FontSpec("wqy-microhei", "wqy-microhei.ttc", "WenQuanYi Micro Hei", cjk=True),
    FontSpec("wqy-zenhei", "wqy-zenhei.ttc", "WenQuanYi Zen Hei", cjk=True, held_out=True),
    FontSpec("dejavu-sans", "DejaVuSans.ttf", None, cjk=False),
    FontSpec("dejavu-sans-bold", "DejaVuSans-Bold.ttf", None, cjk=False),
    FontSpec("dejavu-serif", "DejaVuSerif.ttf", None, cjk=False),
    FontSpec("dejavu-mono", "DejaVuSansMono.ttf", None, cjk=False),
    FontSpec("liberation-sans", "LiberationSans-Regular.ttf", None, cjk=False),
    FontSpec("liberation-mono", "LiberationMono-Regular.ttf", None, cjk=False),
    FontSpec("liberation-sans-bold", "LiberationSans-Bold.ttf", None, cjk=False),
    FontSpec("liberation-serif", "LiberationSerif-Regular.ttf", None, cjk=False, held_out=True),
)


class FontMissing(RuntimeError):
    pass


@cache
def font_path(spec: FontSpec) -> tuple[str, int]:
    """(path, index in collection) of an installed font; FontMissing names the Debian package."""
    for root in FONT_DIRS:
        for path in root.rglob(spec.file) if root.exists() else ():
            if spec.family is None:
                return str(path), 0
            for index in range(16):
                try:
                    face = ImageFont.truetype(str(path), 12, index=index)
                except OSError:
                    break
                if face.getname()[0] == spec.family:
                    return str(path), index
    raise FontMissing(
        f"font {spec.name} ({spec.file}) is not installed: run scripts/bootstrap.sh, which "
        "installs "
        "the fonts-* Debian packages"
    )


@cache
def load_font(spec: FontSpec, size: int) -> ImageFont.FreeTypeFont:
    path, index = font_path(spec)
    return ImageFont.truetype(path, size, index=index)


def available(*, held_out: bool, cjk: bool | None = None) -> list[FontSpec]:
    """Installed fonts of one split (training or held-out), optionally only CJK-capable ones."""
    out = []
    for spec in FONTS:
        if spec.held_out != held_out or (cjk is not None and spec.cjk != cjk):
            continue
        try:
            font_path(spec)
        except FontMissing:
            continue
        out.append(spec)
    return out


def by_name(name: str) -> FontSpec:
    for spec in FONTS:
        if spec.name == name:
            return spec
    raise KeyError(name)
