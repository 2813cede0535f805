"""Category budgets (SPEC §12): the CRUD's bodies, the budgets view, the suggestions."""

from __future__ import annotations

from pydantic import Field

from foyer.schemas.common import Category, Input, Month, Output, PositiveMoney


class BudgetCreate(Input):
    category: Category = Field(examples=["courses"])
    category_parent: Category | None = Field(
        default=None, description="Only this parent's category; none: under every parent."
    )
    amount: PositiveMoney = Field(examples=[450.0])
    month: Month | None = Field(default=None, description="None: every month (the default).")


class BudgetRead(Output):
    id: int
    category: str
    category_parent: str | None
    amount: float
    month: str | None


class BudgetLine(Output):
    category: str
    budget: float
    spent: float
    remaining: float = Field(description="budget − spent; negative when over.")
    ratio: float = Field(description="spent / budget, 4 decimals.")
    over: bool
    every_month: bool = Field(description="The category's default (false: this month's own).")


class BudgetTotals(Output):
    budget: float
    spent: float
    remaining: float
    over: int = Field(description="How many categories are over budget.")


class BudgetsRead(Output):
    month: str
    items: list[BudgetLine]
    totals: BudgetTotals


class BudgetSuggestion(Output):
    category: str
    median: float = Field(description="The median of the six months' spending.")
    amount: float = Field(description="The median rounded up to the next 5 €.")


class BudgetSuggestionsRead(Output):
    month: str
    months: list[str]
    items: list[BudgetSuggestion]
