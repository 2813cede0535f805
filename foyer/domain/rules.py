"""The key, item splits, fixed-line and provision amounts (SPEC §2–§4). Pure functions."""

from __future__ import annotations

from fractions import Fraction

from foyer.domain.model import FixedLine, HouseholdConfig, Provision
from foyer.domain.vocabulary import SplitMode
from foyer.money import monthly_equivalent, percent, round_half_up, split


def household_key(config: HouseholdConfig) -> Fraction:
    """Member 1's share r1 of shared costs (SPEC §2), exact."""
    if config.split_mode == "manual":
        return percent(config.manual_share1_bp)
    net1 = config.income1_cents * (10_000 - config.tax_rate1_bp)
    net2 = config.income2_cents * (10_000 - config.tax_rate2_bp)
    if net1 + net2 == 0:
        return Fraction(1, 2)
    return Fraction(net1, net1 + net2)


def item_share(mode: SplitMode, custom_share1_bp: int | None, key: Fraction) -> Fraction:
    """Member 1's share of one item under its split mode."""
    if mode == "key":
        return key
    if mode == "equal":
        return Fraction(1, 2)
    if mode == "member1":
        return Fraction(1)
    if mode == "member2":
        return Fraction(0)
    if custom_share1_bp is None:  # guarded by validation; kept so bad rows fail loudly
        raise ValueError("custom split without custom_share1")
    return percent(custom_share1_bp)


def fixed_line_monthly(line: FixedLine) -> int:
    return monthly_equivalent(line.amount_cents, line.frequency)


def fixed_line_split(line: FixedLine, key: Fraction) -> tuple[int, int, int]:
    """(monthly, member1, member2) of one fixed line."""
    monthly = fixed_line_monthly(line)
    m1, m2 = split(monthly, item_share(line.split_mode, line.custom_share1_bp, key))
    return monthly, m1, m2


def provision_monthly(provision: Provision, config: HouseholdConfig) -> int:
    """A provision's monthly amount from its base (SPEC §4)."""
    rate = percent(provision.percentage_bp)
    if provision.base == "total":
        return round_half_up((config.income1_cents + config.income2_cents) * rate)
    if provision.base == "member1":
        return round_half_up(config.income1_cents * rate)
    if provision.base == "member2":
        return round_half_up(config.income2_cents * rate)
    return provision.fixed_amount_cents


def provision_counts_in(provision: Provision, month: str) -> bool:
    """Active and month within [start_month, end_month], both optional and inclusive."""
    if not provision.is_active:
        return False
    if provision.start_month is not None and month < provision.start_month:
        return False
    return provision.end_month is None or month <= provision.end_month


def provision_progress(provision: Provision) -> Fraction | None:
    """current / target, or None without a (positive) target."""
    if not provision.target_amount_cents:
        return None
    return Fraction(provision.current_amount_cents, provision.target_amount_cents)


def provision_split(
    provision: Provision, config: HouseholdConfig, key: Fraction
) -> tuple[int, int, int]:
    """(monthly, member1, member2) of one provision."""
    monthly = provision_monthly(provision, config)
    m1, m2 = split(monthly, item_share(provision.split_mode, provision.custom_share1_bp, key))
    return monthly, m1, m2


def provisions_in_month(provisions: list[Provision], month: str) -> list[Provision]:
    """The provisions counted in a month, in display_order then name (then id, for ties)."""
    counted = [p for p in provisions if provision_counts_in(p, month)]
    return sorted(counted, key=lambda p: (p.display_order, p.name, p.id))
