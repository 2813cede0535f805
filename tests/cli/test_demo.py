"""The demo household is a believable couple, in integer cents, the same for a seed.

Properties of the default demo (36 months ending at a fixed month, the default number of
rows a month, the default seed), checked on the generator's rows and once on a loaded
database against the dashboard's own planned fixed lines and provisions.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from foyer.api import budget_shapes as wire
from foyer.db.engine import make_engine, read_connection
from foyer.db.migrate import upgrade
from foyer.db.schema import bank_transaction as t
from foyer.db.schema import household
from foyer.demo import DemoSpec, load_demo, month_rows
from foyer.demo.generator import quotas
from foyer.demo.household import (
    MEMBERS,
    config_changes,
    new_fixed_lines,
    new_provisions,
    profile,
)
from foyer.demo.merchants import MERCHANTS, amount_table
from foyer.months import add_months
from foyer.read.reference import ReferenceReader
from foyer.schemas.budget_items import FixedLineUpdate, ProvisionUpdate
from foyer.schemas.config import ConfigUpdate
from foyer.services import budget
from foyer.services.transactions import NewRow
from foyer.settings import Settings

END = "2026-06"
CREATED = dt.datetime(2026, 6, 30, tzinfo=dt.UTC)
SPEC = DemoSpec(end_month=END, password="demo-password")
#: What a French bank statement's labels look like: card payments with their date,
#: direct debits, transfers, withdrawals, card refunds, the card's yearly fee.
LABEL = re.compile(
    r"^(CB [A-Z0-9 .&'/]+ \d{2}/\d{2}"
    r"|PRLV SEPA [A-Z0-9 .]+"
    r"|VIR SEPA [A-Z0-9 .]+"
    r"|RETRAIT DAB \d{2}/\d{2}"
    r"|AVOIR CB [A-Z0-9 ]+ \d{2}/\d{2}"
    r"|COTISATION CARTE [A-Z ]+)$"
)


def demo_months(
    spec: DemoSpec = SPEC, *, seed: int | None = None
) -> Iterator[tuple[str, list[NewRow], list[list[str]]]]:
    """The default demo household's months, as `load_demo` generates them."""
    rng = random.Random(spec.seed if seed is None else seed)
    couple = profile(END)
    for m in range(spec.months):
        month = add_months(END, m - spec.months + 1)
        rows, tags = month_rows(rng, month, spec.transactions_per_month, CREATED, household=couple)
        yield month, rows, tags


def variable_spending(rows: list[NewRow]) -> int:
    return -sum(
        r.amount_cents
        for r in rows
        if r.expense_type == "VARIABLE" and r.amount_cents < 0 and not r.exclude
    )


def salaries(rows: list[NewRow]) -> int:
    return sum(r.amount_cents for r in rows if r.category == "salaire" and r.amount_cents > 0)


def test_every_amount_is_integer_cents_and_every_month_has_its_count() -> None:
    for month, rows, tags in demo_months():
        assert len(rows) == len(tags) == SPEC.transactions_per_month
        for row in rows:
            assert type(row.amount_cents) is int, row  # not a float, not a Decimal
            assert row.amount_cents != 0
            assert row.month == month == row.date.strftime("%Y-%m")


def test_variable_spending_is_a_believable_share_of_the_salaries_every_month() -> None:
    shares = {}
    for month, rows, _ in demo_months():
        salary = salaries(rows)
        assert 400_000 <= salary <= 700_000, (month, salary)  # two net salaries, 2-3.5 k€ each
        shares[month] = variable_spending(rows) / salary
    outside = {m: round(s, 3) for m, s in shares.items() if not 0.20 <= s <= 0.50}
    assert outside == {}
    # The seasons show: December's gifts and August's holidays cost more than a March.
    by_month: dict[str, list[float]] = defaultdict(list)
    for month, share in shares.items():
        by_month[month[5:]].append(share)
    assert sum(by_month["12"]) > sum(by_month["03"]) + 0.06
    assert sum(by_month["08"]) > sum(by_month["03"]) + 0.06


def test_salaries_arrive_once_a_month_on_a_fixed_day() -> None:
    paydays = defaultdict(set)
    for month, rows, _ in demo_months():
        credits = [r for r in rows if r.category == "salaire"]
        assert sorted(r.account for r in credits) == sorted(m.account for m in MEMBERS), month
        for r in credits:
            assert r.label.startswith("VIR SEPA SALAIRE ")
            paydays[r.account].add(r.date.day)
    assert all(len(days) == 1 for days in paydays.values()), paydays


def test_all_expense_types_refunds_exclusions_and_statement_labels() -> None:
    seen_types: set[str] = set()
    parents: set[str] = set()
    tags: set[str] = set()
    refunds = 0
    for month, rows, row_tags in demo_months():
        seen_types |= {r.expense_type for r in rows}
        parents |= {r.category_parent for r in rows if r.expense_type == "VARIABLE"}
        tags |= {tag for row in row_tags for tag in row}
        refunds += sum(1 for r in rows if r.category == "remboursements" and r.amount_cents > 0)
        excluded = [r for r in rows if r.exclude]  # transfers between the couple's accounts
        assert excluded, month
        assert sum(r.amount_cents for r in excluded) == 0, month  # both sides of each
        bad = [r.label for r in rows if not LABEL.match(r.label)]
        assert bad == [], (month, bad)
    assert seen_types == {"VARIABLE", "FIXED", "PROVISION"}
    assert refunds >= 36  # health reimbursements and card refunds: a couple a month
    assert {"alimentation", "restaurants", "transport", "santé", "shopping", "loisirs"} <= parents
    assert {"maison", "cadeaux", "vacances"} <= parents
    assert {"courses", "sortie", "cadeau", "vacances", "voiture"} <= tags


def test_card_labels_carry_the_rows_own_date() -> None:
    for _, rows, _ in demo_months():
        for r in rows:
            if r.label.startswith(("CB ", "AVOIR CB ", "RETRAIT DAB ")):
                assert r.label.endswith(f" {r.date.day:02d}/{r.date.month:02d}"), r


def test_amounts_per_merchant_stay_in_their_price_range() -> None:
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for m in MERCHANTS:
        table = amount_table(m)
        assert table == tuple(sorted(table, key=abs))
        assert (table[0], table[-1]) == (m.low_cents, m.high_cents)
        ranges[m.category, m.parent].append((min(table), max(table)))
    for _, rows, _ in demo_months():
        for r in rows:
            if (r.category, r.category_parent) in ranges and r.expense_type == "VARIABLE":
                spans = ranges[r.category, r.category_parent]
                assert any(low <= r.amount_cents <= high for low, high in spans), r
    coffees = [
        r for _, rows, _ in demo_months() for r in rows if r.label.startswith("CB STARBUCKS")
    ]
    assert coffees
    assert all(-500 <= r.amount_cents <= -200 for r in coffees)


def test_a_seed_gives_the_same_rows_and_another_seed_others() -> None:
    first = [(rows, tags) for _, rows, tags in demo_months()]
    again = [(rows, tags) for _, rows, tags in demo_months()]
    other = [(rows, tags) for _, rows, tags in demo_months(seed=SPEC.seed + 1)]
    assert first == again
    assert first != other


def test_quotas_are_exact_shares_summing_to_the_count() -> None:
    weights = [m.weight(3) for m in MERCHANTS]
    total = sum(weights)
    for count, draw in [(0, 0), (1, total - 1), (110, 12_345), (30_000, 0), (30_000, total - 1)]:
        got = quotas(weights, count, draw)
        assert sum(got) == count
        for w, q in zip(weights, got, strict=True):
            assert count * w // total <= q <= -(-count * w // total)


def test_more_rows_than_a_couple_makes_keep_prices_and_scale_the_total() -> None:
    """The bench asks for 30,000 rows a month: same prices, proportionally more payments."""
    rng = random.Random(7)
    small, _ = month_rows(rng, "2026-03", SPEC.transactions_per_month, CREATED)
    large, _ = month_rows(rng, "2026-03", 30_000, CREATED)
    assert len(large) == 30_000
    per_row_small = variable_spending(small) / sum(1 for r in small if r.category != "salaire")
    per_row_large = variable_spending(large) / sum(1 for r in large if r.category != "salaire")
    assert 0.7 < per_row_large / per_row_small < 1.5


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}", _env_file=None))  # type: ignore[call-arg]
    try:
        upgrade(engine)
        load_demo(engine, SPEC)
        yield engine
    finally:
        engine.dispose()


def test_loaded_demo_debits_match_its_fixed_lines_and_provisions(loaded: Engine) -> None:
    """What the dashboard plans is what the statement shows: provisions every month,
    fixed lines over a year (quarterly and annual ones are debited when due)."""
    reader = ReferenceReader()
    year = [add_months(END, -i) for i in range(12)]
    with read_connection(loaded) as conn:
        household_id = conn.execute(select(household.c.id)).scalar_one()
        count = conn.execute(select(func.count()).select_from(t)).scalar_one()
        assert count == SPEC.months * SPEC.transactions_per_month
        fixed_debits = 0.0
        for month in year:
            summary = reader.summary(conn, household_id=household_id, month=month)
            plan = reader.provisions_calculate(conn, household_id=household_id, month=month)
            assert summary["actuals"]["provision_debits"] == plan["totals"]["monthly"], month
            assert 0.20 <= summary["variable"]["total"] / summary["actuals"]["income"] <= 0.50
            fixed_debits += summary["actuals"]["fixed_debits"]
        lines = budget.fixed_lines.list(conn, household_id=household_id)
    per_year = {"monthly": 12, "quarterly": 4, "annual": 1}
    yearly = sum(line.amount_cents * per_year[line.frequency] for line in lines if line.active)
    assert round(fixed_debits * 100) == yearly
    assert any(not line.active for line in lines)  # the cancelled one is never debited


def test_loaded_demo_budget_obeys_the_api_rules(loaded: Engine) -> None:
    """The demo hands its couple to the budget services, not through the API: read back
    and sent again as bodies, its configuration, fixed lines and provisions pass the
    API's schemas and come out as the very inputs the demo declares."""
    with read_connection(loaded) as conn:
        household_id = conn.execute(select(household.c.id)).scalar_one()
        config = budget.get_config(conn, household_id=household_id)
        lines = budget.fixed_lines.list(conn, household_id=household_id)
        items = budget.provisions.list(conn, household_id=household_id)
    body = ConfigUpdate.model_validate(wire.config_read(config).model_dump())
    assert wire.config_changes(body) == config_changes()
    assert [wire.patched_fixed_line(line, FixedLineUpdate()) for line in lines] == (
        new_fixed_lines()
    )
    assert [wire.patched_provision(item, ProvisionUpdate()) for item in items] == (
        new_provisions(END)
    )
