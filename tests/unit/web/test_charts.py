"""Server-drawn bar charts: bars stack and scale to the tallest, text is escaped."""

from __future__ import annotations

import re

from smsgate.web.charts import Series, bar_chart


def heights(svg: str) -> list[float]:
    return [float(h) for h in re.findall(r'height="([0-9.]+)"', svg)]


def test_bars_stack_and_scale_to_the_tallest() -> None:
    svg = bar_chart("t", ["a", "b"], [Series("x", "c1", [2, 1]), Series("y", "c2", [2, 0])])
    assert svg.startswith('<svg class="chart"') and svg.endswith("</svg>")
    lower, upper, single = heights(svg)  # a's two layers (2 + 2), then b's one (1)
    assert lower == upper and single == lower / 2
    assert "<title>a: x 2, y 2</title>" in svg and "<title>b: x 1, y 0</title>" in svg


def test_an_empty_period_draws_no_bars_and_text_is_escaped() -> None:
    svg = bar_chart("<b>", ["<i>"], [Series("s", "c", [0])], lambda v: f"{v}&")
    assert "<rect" not in svg
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "&lt;i&gt;" in svg


def test_every_bar_can_be_labelled_and_a_few_bars_stay_narrow() -> None:
    labels = ["IT", "US", "FR"]
    svg = bar_chart("t", labels, [Series("x", "c", [3, 2, 1])], label_every=1)
    assert re.findall(r'font-size="11">(\w\w)</text>', svg) == labels
    widths = {float(w) for w in re.findall(r'width="([0-9.]+)"', svg) if float(w) < 600}
    assert widths == {60.0}
    assert re.findall(r'font-size="11">(\w\w)</text>', bar_chart("t", labels, [])) == ["FR"]
