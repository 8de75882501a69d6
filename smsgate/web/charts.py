"""Bar charts drawn on the server as inline SVG (no JavaScript library): one bar per
label, each bar a stack of series; every bar carries its numbers as a tooltip title."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 600, 220
LEFT, BOTTOM, TOP = 56, 24, 8
MAX_BAR = 60  # a few bars stay bars, not blocks


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked layer: its name, the CSS class that colours it, a value per bar."""

    label: str
    css: str
    values: Sequence[int]


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[int], str] = str,
    *,
    label_every: int = 7,
) -> Markup:
    """An SVG of stacked bars, labelled for screen readers with `title`; the last bar's
    label is written under it, then every `label_every`-th one's."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = max([*totals, 1])
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(labels), 1)
    bar = max(min(step * 0.7, MAX_BAR), 1.0)
    base = TOP + plot_h
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#9aa4b4"/>',
        _axis_label(TOP + 10, fmt(top)),
        _axis_label(base, "0"),
    ]
    for i, label in enumerate(labels):
        x = LEFT + i * step + (step - bar) / 2
        y = float(base)
        numbers = ", ".join(f"{s.label} {fmt(s.values[i])}" for s in series)
        out.append(f"<g><title>{escape(label)}: {escape(numbers)}</title>")
        for s in series:
            h = plot_h * s.values[i] / top
            if h > 0:
                y -= h
                box = f'x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                out.append(f'<rect class="{s.css}" {box}/>')
        out.append("</g>")
        if (len(labels) - 1 - i) % label_every == 0:
            out.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def _axis_label(y: int, text: str) -> str:
    return f'<text x="{LEFT - 6}" y="{y}" text-anchor="end" font-size="11">{escape(text)}</text>'
