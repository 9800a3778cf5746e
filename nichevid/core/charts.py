"""Server-drawn SVG charts for the operators' and creators' pages.

No script draws them: the page stays readable without JavaScript, every bar or point
carries a ``<title>`` with its exact figure, and the chart as a whole has an accessible
name. Pages put the same figures in a table beside the chart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

# One colour per series, readable on light and dark themes.
COLOURS = ("#4aa3ff", "#7bd88f", "#f5a623", "#ff7a9c", "#b58cff", "#9aa5b1")


def stacked_bars(
    buckets: list[tuple[date, dict[str, int]]],
    series: list[tuple[str, str]],
    title: str,
    shown: Callable[[int], str],
) -> Markup:
    """One stacked bar per bucket, one colour per series, with a legend.

    Args:
        buckets: ``(first day, {series key: amount})`` in order.
        series: ``(key, label)`` of each series, bottom first.
        title: The chart's accessible name.
        shown: Formats an amount for the bars' titles (``1999`` -> ``"19.99 EUR"``).

    Negative amounts (a bucket whose refunds exceed its earnings) draw no bar; their
    figure is still in the bar's title.
    """
    width, height, pad = 640, 200, 24
    stacks = [sum(max(v.get(key, 0), 0) for key, _ in series) for _, v in buckets]
    top = max([*stacks, 1])
    slot = (width - 2 * pad) / max(len(buckets), 1)
    bar = max(slot * 0.8, 1)
    parts = [
        f'<svg class="nv-chart" fill="currentColor" viewBox="0 0 {width} {height + 36}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (day, values) in enumerate(buckets):
        x = pad + i * slot
        y = float(height - pad)
        for j, (key, label) in enumerate(series):
            value = values.get(key, 0)
            h = (height - 2 * pad) * max(value, 0) / top
            y -= h
            parts.append(
                f'<rect fill="{COLOURS[j % len(COLOURS)]}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" data-series="{escape(key)}">'
                f"<title>{escape(day.isoformat())} {escape(label)}: {escape(shown(value))}"
                "</title></rect>"
            )
    if buckets:
        parts.append(
            f'<text x="{pad}" y="{height + 10}">{escape(buckets[0][0].isoformat())}</text>'
            f'<text x="{width - pad}" y="{height + 10}" text-anchor="end">'
            f"{escape(buckets[-1][0].isoformat())}</text>"
        )
    step = (width - 2 * pad) / max(len(series), 1)
    for j, (_, label) in enumerate(series):
        x = pad + j * step
        parts.append(
            f'<rect fill="{COLOURS[j % len(COLOURS)]}" x="{x:.1f}" y="{height + 18}" '
            f'width="10" height="10"/><text x="{x + 14:.1f}" y="{height + 27}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def hbars(values: dict[str, int], title: str) -> Markup:
    """Horizontal bars, one per label, as an accessible inline SVG."""
    row, width, label_width = 24, 640, 200
    top = max([*values.values(), 1])
    height = row * max(len(values), 1) + 8
    parts = [
        f'<svg class="nv-chart" fill="currentColor" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(values.items()):
        y = 4 + i * row
        w = (width - label_width - 60) * value / top
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>'
            f'<rect fill="{COLOURS[0]}" x="{label_width}" y="{y + 4}" width="{w:.1f}" '
            f'height="{row - 8}"/><text x="{label_width + w + 6:.1f}" y="{y + 16}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def curve(points: list[tuple[str, float]], title: str) -> Markup:
    """A line through ``(label, share 0..1)`` points, left to right, as an accessible SVG.

    Each point is a dot whose ``<title>`` gives its label and percentage; the first and
    last labels are written under the line.
    """
    width, height, pad = 640, 200, 24
    span = (width - 2 * pad) / max(len(points) - 1, 1)
    placed = [
        (pad + i * span, height - pad - (height - 2 * pad) * min(max(share, 0.0), 1.0))
        for i, (_, share) in enumerate(points)
    ]
    parts = [
        f'<svg class="nv-chart" fill="currentColor" viewBox="0 0 {width} {height + 16}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="currentColor" stroke-opacity="0.3"/>'
    ]
    if placed:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in placed)
        parts.append(
            f'<polyline fill="none" stroke="{COLOURS[0]}" stroke-width="3" points="{line}"/>'
        )
    for (label, share), (x, y) in zip(points, placed, strict=True):
        parts.append(
            f'<circle fill="{COLOURS[0]}" cx="{x:.1f}" cy="{y:.1f}" r="5">'
            f"<title>{escape(label)}: {share * 100:.0f} %</title></circle>"
        )
    if points:
        parts.append(
            f'<text x="{pad}" y="{height + 10}">{escape(points[0][0])}</text>'
            f'<text x="{width - pad}" y="{height + 10}" text-anchor="end">'
            f"{escape(points[-1][0])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
