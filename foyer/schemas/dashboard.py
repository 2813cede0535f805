"""Dashboard, drill-down, trends, analytics and provision calculations (SPEC §4, §6)."""

from __future__ import annotations

from pydantic import Field

from foyer.domain.vocabulary import ExpenseType
from foyer.schemas.common import Input, Money, Output


class Members(Output):
    member1: str = Field(examples=["Alex"])
    member2: str = Field(examples=["Sam"])


class Key(Output):
    member1: float = Field(examples=[0.5714])
    member2: float = Field(examples=[0.4286])


class BlockNumbers(Output):
    total: float
    member1: float
    member2: float
    count: int


class FixedLineShare(Output):
    id: int
    label: str
    category: str
    monthly: float
    member1: float
    member2: float


class ProvisionShare(Output):
    id: int
    name: str
    icon: str
    color: str
    monthly: float
    member1: float
    member2: float
    progress: float | None


class FixedBlock(BlockNumbers):
    lines: list[FixedLineShare]


class ProvisionsBlock(BlockNumbers):
    items: list[ProvisionShare]


class Totals(Output):
    member1: float
    member2: float
    grand_total: float


class Actuals(Output):
    income: float
    fixed_debits: float
    provision_debits: float
    excluded: float
    transactions: int


class SummaryRead(Output):
    month: str = Field(examples=["2025-06"])
    members: Members
    key: Key
    variable: BlockNumbers
    fixed: FixedBlock
    provisions: ProvisionsBlock
    totals: Totals
    actuals: Actuals


class SlimSummaryRead(Output):
    month: str
    key: Key
    variable: BlockNumbers
    fixed: BlockNumbers
    provisions: BlockNumbers
    totals: Totals


class DrillDownSummary(Output):
    category: str
    month: str
    total: float
    count: int
    avg: float
    min: float | None = Field(description="Smallest |amount|; null when there is none.")
    max: float | None
    previous_total: float


class Breakdown(Output):
    total: float
    count: int


class TagBreakdown(Breakdown):
    tag: str


class LabelBreakdown(Breakdown):
    label: str


class DrillDownDetails(Output):
    category: str
    month: str
    by_tag: list[TagBreakdown]
    by_label: list[LabelBreakdown]


class TrendMonth(Output):
    month: str
    variable: float
    fixed_debits: float
    provision_debits: float
    income: float
    net: float
    count: int


class TrendsRead(Output):
    months: list[TrendMonth]


class CategoryStats(Output):
    category: str
    expense_type: ExpenseType
    count: int
    total: float
    avg: float
    min: float
    max: float


class CategoryAnalytics(Output):
    month: str
    items: list[CategoryStats]


class ProvisionCalcItem(Output):
    id: int
    name: str
    monthly: float
    member1: float
    member2: float
    progress: float | None


class ProvisionCalcTotals(Output):
    monthly: float
    member1: float
    member2: float


class ProvisionCalculation(Output):
    month: str
    items: list[ProvisionCalcItem]
    totals: ProvisionCalcTotals


class KpiAverages(Output):
    income: float = Field(description="Monthly average of credits not excluded.")
    spending: float = Field(description="Monthly average of debits not excluded, all types.")
    savings: float = Field(description="income − spending.")
    savings_rate: float | None = Field(description="Percent of the range's income saved.")


class KpiChange(Output):
    month: str = Field(description="The range's last month...")
    previous: str = Field(description="...compared with the month before it.")
    income: float
    spending: float
    spending_percent: float | None


class KpiCategory(Output):
    category: str
    total: float
    count: int
    share: float | None = Field(description="Percent of the range's spending.")


class KpisRead(Output):
    from_month: str
    to_month: str
    months: int
    averages: KpiAverages
    change: KpiChange
    top_categories: list[KpiCategory]


class Anomaly(Output):
    category: str
    spent: float = Field(description="The month's debits not excluded, every expense type.")
    median: float = Field(
        description="The usual month: the median of the 12 months before (0 for a month "
        "without spending in the category)."
    )
    typical_max: float = Field(description="The most that would not have been flagged.")
    excess: float = Field(description="spent − median.")
    ratio: float | None = Field(description="spent / median, 4 decimals; null when it is 0.")


class AnomaliesRead(Output):
    """The month's categories spent far above their own history (SPEC §12)."""

    month: str = Field(examples=["2025-06"])
    history_months: list[str] = Field(description="The 12 months before, oldest first.")
    items: list[Anomaly] = Field(description="Largest excess first.")


class BalanceRead(Output):
    """The joint account's balance at the start of `month`; null when none was entered
    (the transfer plan then counts 0)."""

    month: str = Field(examples=["2025-06"])
    account_balance: float | None = Field(examples=[1250.0])


class BalanceUpdate(Input):
    account_balance: Money = Field(examples=[1250.0])


class TransferNumbers(Output):
    total: float
    member1: float
    member2: float


class TransfersRead(Output):
    """Who transfers what to the joint account this month (SPEC §12)."""

    month: str = Field(examples=["2025-06"])
    account_balance: float
    buffer: float
    needed: TransferNumbers
    transfers: TransferNumbers
    projected_balance: float
