"""View JSON shaped for the templates: bar widths, chart series. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from foyer.web.charts import MonthBar, trend_chart
from foyer.web.i18n import Words


@dataclass(frozen=True, slots=True)
class Bar:
    name: str
    total: float
    count: int
    width: float  # percent of the largest bar, for the CSS bar chart
    categories: list[dict[str, Any]]


def hierarchy_rows(hierarchy: list[dict[str, Any]]) -> list[Bar]:
    """The hierarchy view's parents, each with its bar's width against the largest."""
    largest = max((float(parent["total"]) for parent in hierarchy), default=0.0)
    return [
        Bar(
            name=parent["category_parent"],
            total=parent["total"],
            count=parent["count"],
            width=round(100 * float(parent["total"]) / largest, 1) if largest else 0.0,
            categories=parent["categories"],
        )
        for parent in hierarchy
    ]


def category_parents(hierarchy: list[dict[str, Any]]) -> dict[str, str]:
    """Each category of the month and its parent (a recategorisation follows it)."""
    return {
        category["category"]: parent["category_parent"]
        for parent in hierarchy
        for category in parent["categories"]
    }


def trend_svg(w: Words, months: list[dict[str, Any]]) -> str:
    bars = [
        MonthBar(
            label=w.month_short(m["month"]),
            parts=(float(m["variable"]), float(m["fixed_debits"]), float(m["provision_debits"])),
            income=float(m["income"]),
        )
        for m in months
    ]
    start, end = months[0]["month"], months[-1]["month"]
    return trend_chart(
        bars,
        title=w.t("trends.chart", start=w.month(start), end=w.month(end)),
        legend=[
            w.t("summary.variable"),
            w.t("actuals.fixed_debits"),
            w.t("actuals.provision_debits"),
            w.t("trends.income"),
        ],
        money=w.money_whole,
    )
