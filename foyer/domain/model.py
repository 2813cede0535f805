"""Plain value objects the money rules work on (no database, no HTTP)."""

from __future__ import annotations

from dataclasses import dataclass

from foyer.domain.vocabulary import Frequency, KeyMode, ProvisionBase, SplitMode


@dataclass(frozen=True, slots=True)
class HouseholdConfig:
    member1_name: str = "Member 1"
    member2_name: str = "Member 2"
    income1_cents: int = 0
    income2_cents: int = 0
    tax_rate1_bp: int = 0  # hundredths of a percent: 12.34 % -> 1234
    tax_rate2_bp: int = 0
    split_mode: KeyMode = "income"
    manual_share1_bp: int = 5000
    buffer_cents: int = 0  # the joint account's untouched cushion (transfer plan)


@dataclass(frozen=True, slots=True)
class FixedLine:
    id: int
    label: str
    amount_cents: int
    frequency: Frequency
    split_mode: SplitMode
    custom_share1_bp: int | None
    category: str
    active: bool


@dataclass(frozen=True, slots=True)
class Provision:
    id: int
    name: str
    icon: str
    color: str
    display_order: int
    base: ProvisionBase
    percentage_bp: int
    fixed_amount_cents: int
    split_mode: SplitMode
    custom_share1_bp: int | None
    is_active: bool
    start_month: str | None
    end_month: str | None
    target_amount_cents: int | None
    current_amount_cents: int


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """What the dashboard needs from one month's transactions, all in cents (positive)."""

    variable_cents: int = 0  # |sum| of debits, not excluded, VARIABLE
    variable_count: int = 0
    fixed_debits_cents: int = 0
    provision_debits_cents: int = 0
    income_cents: int = 0  # sum of credits, not excluded
    excluded_cents: int = 0  # sum of |amount| over excluded rows
    transactions: int = 0  # all rows of the month
