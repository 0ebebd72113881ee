"""Server-side SVG charts: no JavaScript, readable by screen readers (a title, a description and
one labelled bar per value), coloured by ``app.css`` (the CSP forbids inline styles)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 8, 36, 24


@dataclass(frozen=True)
class Point:
    """One bar: its axis label, its value, the value as people read it (``1 234,00 €``: the
    bar's tooltip and the description) and, if shorter, as drawn above the bar (``1,2 k€``), so
    that twelve months of amounts do not run into each other."""

    label: str
    value: Decimal | float | int
    text: str
    short: str = ""


def bar_chart(chart_id: str, title: str, description: str, points: list[Point], *,
              target: Decimal | float | None = None, target_text: str = "") -> Markup:
    """A vertical bar chart under its visible caption (the title, and the legend of the dashed
    ``target`` line, e.g. the availability promised)."""
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    values = [float(p.value) for p in points]
    top = max(values + [float(target or 0), 0.0]) or 1.0
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    slot = (WIDTH - MARGIN_LEFT) / max(len(points), 1)
    bar_width = max(slot * 0.7, 2)
    legend = (f'<span class="legend"><span class="target-key" aria-hidden="true"></span>'
              f'{escape(target_text)}</span>' if target is not None and target_text else "")
    parts = [
        f'<figcaption>{escape(title)}{legend}</figcaption>',
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{title_id}">{escape(title)}</title>',
        # role="img" hides the bars from screen readers: the description carries every value.
        f'<desc id="{desc_id}">{escape(description)} '
        f'{escape("; ".join(f"{p.label}: {p.text}" for p in points))}</desc>',
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{HEIGHT - MARGIN_BOTTOM}" x2="{WIDTH}" '
        f'y2="{HEIGHT - MARGIN_BOTTOM}"/>',
    ]
    for index, (point, value) in enumerate(zip(points, values)):
        bar_height = plot_height * max(value, 0.0) / top
        x = MARGIN_LEFT + index * slot + (slot - bar_width) / 2
        y = HEIGHT - MARGIN_BOTTOM - bar_height
        middle = x + bar_width / 2
        parts.append(
            f'<g class="bar">'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{bar_height:.1f}">'
            f'<title>{escape(point.label)}: {escape(point.text)}</title></rect>'
            f'<text class="value" x="{middle:.1f}" y="{max(y - 4, 12):.1f}" text-anchor="middle">'
            f'{escape(point.short or point.text)}</text>'
            f'<text class="label" x="{middle:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'text-anchor="middle">{escape(point.label)}</text></g>')
    if target is not None:
        y = HEIGHT - MARGIN_BOTTOM - plot_height * float(target) / top
        parts.append(f'<line class="target" x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH}" '
                     f'y2="{y:.1f}"><title>{escape(target_text)}</title></line>')
    parts.append("</svg>")
    return Markup("".join(parts))
