"""Charts drawn on the server as SVG: no chart library to ship, nothing to run in the
browser, and the picture is in the first HTML response (its numbers also sit in a table
for screen readers). Pure: JSON values in, markup out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH = 720
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 72, 8, 12, 28


@dataclass(frozen=True, slots=True)
class MonthBar:
    label: str  # the month as the axis writes it
    parts: tuple[float, float, float]  # variable, fixed debits, provision debits (money)
    income: float


def _nice_ceiling(value: float) -> float:
    """The axis' top: 1, 2 or 5 times a power of ten, at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        top = float(magnitude * step)
        if top >= value:
            return top
    return float(magnitude * 10)


def trend_chart(
    bars: Sequence[MonthBar], *, title: str, legend: Sequence[str], money: Callable[[float], str]
) -> str:
    """Stacked monthly spending (three parts) with income as a line; `legend` names the
    parts then income. Returns an `<svg>` element (role img, titled)."""
    top = _nice_ceiling(max([sum(b.parts) for b in bars] + [b.income for b in bars] + [0]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(bars), 1)
    bar_w = max(step * 0.7, 1)

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * (value / top)

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="trend-title" preserveAspectRatio="xMidYMid meet">',
        f'<title id="trend-title">{escape(title)}</title>',
    ]
    for tick in range(5):
        value = top * tick / 4
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{escape(money(value))}</text>'
        )
    every = max(1, round(len(bars) / 12))
    points = []
    for i, bar in enumerate(bars):
        x = LEFT + i * step + (step - bar_w) / 2
        base = 0.0
        for part, value in enumerate(bar.parts):
            if value > 0:
                out.append(
                    f'<rect class="s{part}" x="{x:.1f}" y="{y(base + value):.1f}" '
                    f'width="{bar_w:.1f}" height="{y(base) - y(base + value):.1f}"/>'
                )
            base += value
        points.append(f"{x + bar_w / 2:.1f},{y(bar.income):.1f}")
        if i % every == 0:
            out.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(bar.label)}</text>'
            )
    if points:
        out.append(f'<polyline class="income" points="{" ".join(points)}"/>')
    out.append("</svg>")
    keys = "".join(
        f'<li><span class="swatch s{i}" aria-hidden="true"></span>{escape(name)}</li>'
        for i, name in enumerate(legend)
    )
    return "".join(out) + f'<ul class="legend">{keys}</ul>'
