"""The fonts synthetic lines are drawn with, and which of them are held out for validation.

Fonts come from Debian packages the set-up script installs (fonts-noto-cjk, fonts-arphic-*,
fonts-wqy-*, fonts-dejavu-core, fonts-liberation2, and for fine-tuning fonts-lxgw-wenkai,
fonts-droid-fallback, fonts-urw-base35, fonts-freefont-ttf, fonts-courier-prime). Held-out fonts are
never used for training, so validation figures measure reading unseen type, not memorised glyph
shapes.

*Extra* fonts widen the type the PP-OCR fine-tuning sees (Song and Kai faces of simplified
Chinese, Times-, Helvetica- and Courier-like Latin faces). Only callers that ask for them get them:
the CRNN's training sets and the fixed validation split keep the original fonts, so their figures
stay comparable with earlier runs. None of them is a sibling of a held-out font (Tinos, Liberation
Serif's parent, is deliberately absent).
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
    extra: bool = False  # only for callers that ask (see the module doc)


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
    FontSpec("ar-pl-sungti-gb", "gbsn00lp.ttf", None, cjk=True, extra=True),
    FontSpec("ar-pl-kaiti-gb", "gkai00mp.ttf", None, cjk=True, handwriting=True, extra=True),
    FontSpec("lxgw-wenkai", "LXGWWenKai-Regular.ttf", None, cjk=True, handwriting=True, extra=True),
    FontSpec("lxgw-wenkai-mono", "LXGWWenKaiMono-Regular.ttf", None, cjk=True, extra=True),
    FontSpec("droid-sans-fallback", "DroidSansFallbackFull.ttf", None, cjk=True, extra=True),
    FontSpec("nimbus-roman", "NimbusRoman-Regular.otf", None, cjk=False, extra=True),
    FontSpec("nimbus-roman-bold", "NimbusRoman-Bold.otf", None, cjk=False, extra=True),
    FontSpec("nimbus-sans", "NimbusSans-Regular.otf", None, cjk=False, extra=True),
    FontSpec("nimbus-sans-narrow", "NimbusSansNarrow-Regular.otf", None, cjk=False, extra=True),
    FontSpec("nimbus-mono", "NimbusMonoPS-Regular.otf", None, cjk=False, extra=True),
    FontSpec("nimbus-mono-bold", "NimbusMonoPS-Bold.otf", None, cjk=False, extra=True),
    FontSpec("c059", "C059-Roman.otf", None, cjk=False, extra=True),
    FontSpec("p052", "P052-Roman.otf", None, cjk=False, extra=True),
    FontSpec("urw-bookman", "URWBookman-Light.otf", None, cjk=False, extra=True),
    FontSpec("free-serif", "FreeSerif.ttf", None, cjk=False, extra=True),
    FontSpec("free-sans", "FreeSans.ttf", None, cjk=False, extra=True),
    FontSpec("free-mono", "FreeMono.ttf", None, cjk=False, extra=True),
    FontSpec("courier-prime", "Courier Prime.otf", None, cjk=False, extra=True),
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


def available(*, held_out: bool, cjk: bool | None = None, extra: bool = False) -> list[FontSpec]:
    """Installed fonts of one split (training or held-out), optionally only CJK-capable ones;
    ``extra`` adds the extra training fonts (see the module doc)."""
    out = []
    for spec in FONTS:
        if spec.held_out != held_out or (cjk is not None and spec.cjk != cjk):
            continue
        if spec.extra and not extra:
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


_NOT_A_CHARACTER = "\U0010fffd"  # private use, plane 16: drawn as the font's "missing" glyph


def covers(spec: FontSpec, text: str) -> bool:
    """Whether ``spec`` draws every character of ``text`` with a glyph of its own.

    Pillow has no character map API, so a character counts as missing when it is drawn exactly as
    a code point no font has (the .notdef glyph) or not at all: the extra GB fonts lack most
    characters outside GB 2312, which would otherwise be drawn as boxes under a correct label.
    """
    return all(_has_glyph(spec, c) for c in set(text) if not c.isspace())


@cache
def _has_glyph(spec: FontSpec, char: str) -> bool:
    font = load_font(spec, 24)
    mask = font.getmask(char)
    return mask.getbbox() is not None and (mask.size, bytes(mask)) != _missing_glyph(spec)


@cache
def _missing_glyph(spec: FontSpec) -> tuple[tuple[int, int], bytes]:
    mask = load_font(spec, 24).getmask(_NOT_A_CHARACTER)
    return mask.size, bytes(mask)
