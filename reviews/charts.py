"""Tiny server-side SVG charts (no JavaScript, no CDN): safe strings for templates."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

W, H, PAD = 640, 200, 28


def _frame(body: str, title: str) -> SafeString:
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {W} {H + 20}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def bar_chart(points: Sequence[tuple[str, float]], *, title: str) -> SafeString:
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
    return _frame("".join(bars) + f'<text x="{PAD}" y="14" class="axis">max {top}</text>', title)


def stacked_bars(
    points: Sequence[tuple[str, float, float]], *, labels: tuple[str, str], title: str
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
        f'<rect x="{W - 200}" y="4" width="10" height="10" class="bar auto"/>'
        f'<text x="{W - 185}" y="13" class="axis">{escape(labels[0])}</text>'
        f'<rect x="{W - 100}" y="4" width="10" height="10" class="bar review"/>'
        f'<text x="{W - 85}" y="13" class="axis">{escape(labels[1])}</text>'
    )
    return _frame("".join(parts) + legend, title)
