"""Tiny server-side SVG charts (no JavaScript, no CDN): safe strings for templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H, PAD = 640, 200, 28


def _frame(body: str, title: str, y_label: str = "", x_label: str = "") -> SafeString:
    """The chart with its title drawn on it, and what each axis counts."""
    axes = ""
    if y_label:
        axes += (
            f'<text x="4" y="{PAD + (H - 2 * PAD) / 2:.0f}" class="axis" '
            f'transform="rotate(-90 10 {PAD + (H - 2 * PAD) / 2:.0f})">{escape(y_label)}</text>'
        )
    if x_label:
        axes += f'<text x="{W / 2}" y="{H + 16}" text-anchor="middle" class="axis">{escape(x_label)}</text>'
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {W} {H + 20}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title><text x="{W / 2}" y="14" text-anchor="middle" '
        f'class="chart-title">{escape(title)}</text>{axes}{body}</svg>'
    )


def _y_ticks(top: float, *, percent: bool = False) -> str:
    """Three gridlines with their values (0, half, top) on the left."""
    out = []
    for share in (0.0, 0.5, 1.0):
        y = H - PAD - (H - 2 * PAD) * share
        value = top * share
        text = f"{value:.0%}" if percent else f"{value:g}"
        out.append(
            f'<line x1="{PAD}" x2="{W - PAD}" y1="{y:.1f}" y2="{y:.1f}" class="grid-line"/>'
            f'<text x="{PAD - 2}" y="{y + 4:.1f}" text-anchor="end" class="tick">{text}</text>'
        )
    return "".join(out)


_COLOURS = ("series-a", "series-b", "series-c", "series-d", "series-e", "series-f")


def line_chart(
    series: Mapping[str, Sequence[tuple[str, float]]],
    *,
    title: str,
    y_label: str,
    x_label: str,
) -> SafeString:
    """Shares (0-1) over shared x labels, one line per series, with a legend."""
    labels = sorted({label for points in series.values() for label, _ in points})
    if not labels:
        return _frame(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">—</text>', title)
    step = (W - 2 * PAD) / max(1, len(labels) - 1)
    x_of = {label: PAD + i * step for i, label in enumerate(labels)}
    parts = [_y_ticks(1.0, percent=True)]
    for n, (name, points) in enumerate(sorted(series.items())):
        css = _COLOURS[n % len(_COLOURS)]
        coords = " ".join(
            f"{x_of[label]:.1f},{H - PAD - (H - 2 * PAD) * value:.1f}" for label, value in points
        )
        parts.append(
            f'<polyline points="{coords}" class="line {css}"><title>{escape(name)}</title></polyline>'
        )
        for label, value in points:
            parts.append(
                f'<circle cx="{x_of[label]:.1f}" cy="{H - PAD - (H - 2 * PAD) * value:.1f}" r="3" '
                f'class="dot {css}"><title>{escape(name)} {escape(label)}: {value:.1%}</title></circle>'
            )
        parts.append(
            f'<rect x="{PAD + 4 + n * 150}" y="20" width="10" height="10" class="dot {css}"/>'
            f'<text x="{PAD + 18 + n * 150}" y="29" class="axis">{escape(name)}</text>'
        )
    for label in labels[:: max(1, len(labels) // 8)]:
        parts.append(
            f'<text x="{x_of[label]:.1f}" y="{H - PAD + 14}" text-anchor="middle" class="tick">{escape(label)}</text>'
        )
    return _frame("".join(parts), title, y_label, x_label)


def bar_chart(
    points: Sequence[tuple[str, float]], *, title: str, y_label: str = "", x_label: str = ""
) -> SafeString:
    if not points:
        return _frame(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">—</text>', title)
    top = max(v for _, v in points) or 1
    step = (W - 2 * PAD) / len(points)
    bars = []
    for i, (label, value) in enumerate(points):
        h = (H - 2 * PAD) * value / top
        x = PAD + i * step
        bars.append(
            f'<rect x="{x + 2:.1f}" y="{H - PAD - h:.1f}" width="{max(1, step - 4):.1f}" height="{h:.1f}" '
            f'class="bar"><title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + step / 2:.1f}" y="{H - PAD + 14}" text-anchor="middle" class="tick">{escape(label)}</text>'
        )
    return _frame("".join(bars) + _y_ticks(top), title, y_label, x_label)


def stacked_bars(
    points: Sequence[tuple[str, float, float]],
    *,
    labels: tuple[str, str],
    title: str,
    y_label: str = "",
    x_label: str = "",
) -> SafeString:
    if not points:
        return bar_chart([], title=title)
    top = max(a + b for _, a, b in points) or 1
    step = (W - 2 * PAD) / len(points)
    parts = []
    for i, (label, a, b) in enumerate(points):
        x = PAD + i * step
        ha = (H - 2 * PAD) * a / top
        hb = (H - 2 * PAD) * b / top
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{H - PAD - ha:.1f}" width="{max(1, step - 4):.1f}" height="{ha:.1f}" class="bar auto">'
            f"<title>{escape(label)} {escape(labels[0])}: {a}</title></rect>"
            f'<rect x="{x + 2:.1f}" y="{H - PAD - ha - hb:.1f}" width="{max(1, step - 4):.1f}" height="{hb:.1f}" class="bar review">'
            f"<title>{escape(label)} {escape(labels[1])}: {b}</title></rect>"
            f'<text x="{x + step / 2:.1f}" y="{H - PAD + 14}" text-anchor="middle" class="tick">{escape(label)}</text>'
        )
    legend = (
        f'<rect x="{W - 200}" y="20" width="10" height="10" class="bar auto"/>'
        f'<text x="{W - 185}" y="29" class="axis">{escape(labels[0])}</text>'
        f'<rect x="{W - 100}" y="20" width="10" height="10" class="bar review"/>'
        f'<text x="{W - 85}" y="29" class="axis">{escape(labels[1])}</text>'
    )
    return _frame("".join(parts) + legend + _y_ticks(top), title, y_label, x_label)
