"""Server-drawn SVG charts of money over time, in the manner of the moderation statistics.

No script draws them: the page stays readable without JavaScript, every bar carries a
``<title>`` with its exact figure, and the chart as a whole has an accessible name.
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
