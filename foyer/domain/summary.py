"""Dashboard assembly (SPEC §4, §6): from config, fixed lines, provisions and month totals.

Both read paths (reference and optimised) gather the same inputs and call these functions,
so the money rules are written once and the readers differ only in how they read rows.
Blocks are computed in cents and turned into JSON money only when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from foyer.domain.model import FixedLine, HouseholdConfig, MonthTotals, Provision
from foyer.domain.rules import (
    fixed_line_split,
    household_key,
    provision_progress,
    provision_split,
    provisions_in_month,
)
from foyer.domain.transfers import transfer_plan
from foyer.money import ratio_4, split, to_money

JSON = dict[str, Any]


@dataclass(slots=True)
class Block:
    """A block of split items: sums of the per-item rounded shares, in cents."""

    total: int = 0
    member1: int = 0
    member2: int = 0
    items: list[JSON] = field(default_factory=list)

    def add(self, monthly: int, m1: int, m2: int, item: JSON) -> None:
        self.total += monthly
        self.member1 += m1
        self.member2 += m2
        item.update(monthly=to_money(monthly), member1=to_money(m1), member2=to_money(m2))
        self.items.append(item)

    def numbers(self) -> JSON:
        return {
            "total": to_money(self.total),
            "member1": to_money(self.member1),
            "member2": to_money(self.member2),
            "count": len(self.items),
        }


def _progress(p: Provision) -> float | None:
    progress = provision_progress(p)
    return None if progress is None else ratio_4(progress)


def fixed_block(lines: list[FixedLine], key: Fraction) -> Block:
    """Active fixed lines, each split on its own, ordered by label then id."""
    block = Block()
    for line in sorted((ln for ln in lines if ln.active), key=lambda ln: (ln.label, ln.id)):
        item: JSON = {"id": line.id, "label": line.label, "category": line.category}
        block.add(*fixed_line_split(line, key), item)
    return block


def provisions_block(
    provisions: list[Provision], config: HouseholdConfig, key: Fraction, month: str
) -> Block:
    """Provisions counted in the month, each split on its own, in display_order then name."""
    block = Block()
    for p in provisions_in_month(provisions, month):
        item: JSON = {"id": p.id, "name": p.name, "icon": p.icon, "color": p.color}
        block.add(*provision_split(p, config, key), item)
        item["progress"] = _progress(p)
    return block


def provisions_calculation(
    provisions: list[Provision], config: HouseholdConfig, month: str
) -> JSON:
    """GET /provisions/calculate (SPEC §4)."""
    block = provisions_block(provisions, config, household_key(config), month)
    fields = ("id", "name", "monthly", "member1", "member2", "progress")
    return {
        "month": month,
        "items": [{k: item[k] for k in fields} for item in block.items],
        "totals": {
            "monthly": to_money(block.total),
            "member1": to_money(block.member1),
            "member2": to_money(block.member2),
        },
    }


def dashboard_summary(
    *,
    month: str,
    config: HouseholdConfig,
    fixed_lines: list[FixedLine],
    provisions: list[Provision],
    totals: MonthTotals,
) -> JSON:
    """The full summary of SPEC §6."""
    key = household_key(config)
    v1, v2 = split(totals.variable_cents, key)
    fixed = fixed_block(fixed_lines, key)
    prov = provisions_block(provisions, config, key, month)
    member1, member2 = _member_totals((v1, v2), fixed, prov)
    return {
        "month": month,
        "members": {"member1": config.member1_name, "member2": config.member2_name},
        "key": {"member1": ratio_4(key), "member2": ratio_4(1 - key)},
        "variable": {
            "total": to_money(totals.variable_cents),
            "member1": to_money(v1),
            "member2": to_money(v2),
            "count": totals.variable_count,
        },
        "fixed": {**fixed.numbers(), "lines": fixed.items},
        "provisions": {**prov.numbers(), "items": prov.items},
        "totals": {
            "member1": to_money(member1),
            "member2": to_money(member2),
            "grand_total": to_money(member1 + member2),
        },
        "actuals": {
            "income": to_money(totals.income_cents),
            "fixed_debits": to_money(totals.fixed_debits_cents),
            "provision_debits": to_money(totals.provision_debits_cents),
            "excluded": to_money(totals.excluded_cents),
            "transactions": totals.transactions,
        },
    }


def _member_totals(variable: tuple[int, int], fixed: Block, prov: Block) -> tuple[int, int]:
    """Each member's total: the sums of the three blocks' member shares (SPEC §6)."""
    return (
        variable[0] + fixed.member1 + prov.member1,
        variable[1] + fixed.member2 + prov.member2,
    )


def transfers(
    *,
    month: str,
    config: HouseholdConfig,
    fixed_lines: list[FixedLine],
    provisions: list[Provision],
    totals: MonthTotals,
    balance_cents: int,
) -> JSON:
    """GET /dashboard/transfers (SPEC §12): the summary's member totals are what is needed."""
    key = household_key(config)
    needed1, needed2 = _member_totals(
        split(totals.variable_cents, key),
        fixed_block(fixed_lines, key),
        provisions_block(provisions, config, key, month),
    )
    plan = transfer_plan(
        needed1=needed1,
        needed2=needed2,
        balance=balance_cents,
        buffer=config.buffer_cents,
        key=key,
    )
    return {
        "month": month,
        "account_balance": to_money(balance_cents),
        "buffer": to_money(config.buffer_cents),
        "needed": {
            "total": to_money(plan.needed),
            "member1": to_money(plan.needed1),
            "member2": to_money(plan.needed2),
        },
        "transfers": {
            "member1": to_money(plan.transfer1),
            "member2": to_money(plan.transfer2),
            "total": to_money(plan.transfer),
        },
        "projected_balance": to_money(balance_cents + plan.transfer - plan.needed),
    }


SLIM_BLOCK_FIELDS = ("total", "member1", "member2", "count")


def slim_summary(summary: JSON) -> JSON:
    """The summary without lists: month, key, the blocks' and totals' numbers (SPEC §6)."""
    slim: JSON = {"month": summary["month"], "key": summary["key"]}
    for name in ("variable", "fixed", "provisions"):
        slim[name] = {k: summary[name][k] for k in SLIM_BLOCK_FIELDS}
    slim["totals"] = summary["totals"]
    return slim
