"""`foyer import budget-famille` (SPEC §8): a Budget Famille v2.3 budget.db into a household.

The reader (pure) against the fixture's own rows: exact cents from floats, the vocabularies,
dates, tags, balances and budgets, old and damaged files. The migration on SQLite and
PostgreSQL: what lands in the household (seen through the API's views too), aggregates
exact, a second run changing nothing. The command end to end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Table, func, select
from typer.testing import CliRunner

from foyer.cli import app
from foyer.db.engine import Database
from foyer.db.schema import (
    agg_category,
    agg_label,
    agg_month,
    agg_tag,
    bank_transaction,
    category_budget,
    data_stamp,
    fixed_line,
    household,
    household_config,
    month_balance,
    provision,
    transaction_tag,
)
from foyer.domain.model import HouseholdConfig
from foyer.imports.budget_famille import (
    BalanceRow,
    BudgetFamilleError,
    BudgetRow,
    read_budget_famille,
)
from foyer.read.budgets import list_budgets
from foyer.services import aggregates, balances, budgets
from foyer.services.budget_famille import Counts, MigrationSummary, migrate_budget_famille
from tests.factories import Api, make_user
from tests.helpers import engine_for
from tests.imports.budget_famille_db import (
    BALANCES,
    BUDGETS,
    FIXED_LINES,
    PROVISIONS,
    TRANSACTIONS,
    build_budget_famille_db,
    change,
)

runner = CliRunner()


def exact_cents(value: float) -> int:
    """The decimal the user typed (a float's shortest form), to the cent, halves away from
    zero: an independent statement of SPEC §1 for floats."""
    return int(Decimal(str(value)).scaleb(2).to_integral_value(rounding=ROUND_HALF_UP))


@pytest.fixture
def budget_db(tmp_path: Path) -> Path:
    return build_budget_famille_db(tmp_path / "budget.db")


# -- the reader ----------------------------------------------------------------------------


def test_every_amount_becomes_exact_cents(budget_db: Path) -> None:
    data = read_budget_famille(budget_db)
    assert [t.amount_cents for t in data.transactions] == [
        exact_cents(row["amount"]) for row in TRANSACTIONS
    ]
    kept = [line for line in FIXED_LINES if line["amount"] > 0]
    assert [line.amount_cents for line in data.fixed_lines] == [
        exact_cents(line["amount"]) for line in kept
    ]
    assert [p.fixed_amount_cents for p in data.provisions] == [
        exact_cents(p.get("fixed_amount", 0.0)) for p in PROVISIONS
    ]
    assert [p.current_amount_cents for p in data.provisions] == [
        exact_cents(p.get("current_amount", 0.0)) for p in PROVISIONS
    ]
    assert data.config is not None
    assert (data.config.income1_cents, data.config.income2_cents) == (320050, 245000)
    # The floats that int(x * 100) gets wrong, and the halves.
    by_label = {t.label: t.amount_cents for t in data.transactions}
    assert int(-19.99 * 100) == -1998
    assert by_label["PRLV NETFLIX"] == -1999
    assert by_label["REMBOURSEMENT AMELI"] == 30  # 0.1 + 0.2
    assert by_label["CB PHARMACIE"] == -101  # -1.005: half away from zero
    assert by_label["CB PEAGE A7"] == -268  # -2.675
    assert by_label["CB AMAZON"] == -123456
    assert by_label["CB BOULANGERIE PAUL"] == -1230


def test_vocabularies_are_foyers(budget_db: Path) -> None:
    data = read_budget_famille(budget_db)
    assert data.config == HouseholdConfig(
        member1_name="Camille",
        member2_name="Hugo",
        income1_cents=320050,
        income2_cents=245000,
        tax_rate1_bp=1250,
        tax_rate2_bp=800,
        split_mode="income",
        manual_share1_bp=5000,
    )
    assert [
        (line.label, line.frequency, line.split_mode, line.custom_share1_bp, line.active)
        for line in data.fixed_lines
    ] == [
        ("Loyer", "monthly", "key", None, True),
        ("Assurance habitation", "annual", "equal", None, True),
        ("Taxe foncière", "annual", "custom", 6000, True),
        ("Mutuelle Camille", "monthly", "member1", None, True),
        ("Forfait mobile Hugo", "monthly", "member2", None, True),
        ("Eau", "quarterly", "key", None, False),
    ]
    assert [
        (p.name, p.base, p.percentage_bp, p.split_mode, p.custom_share1_bp) for p in data.provisions
    ] == [
        ("Vacances", "total", 500, "key", None),
        ("Épargne Camille", "member1", 1000, "member1", None),
        ("Épargne Hugo", "member2", 750, "member2", None),
        ("Travaux", "fixed", 0, "equal", None),
        ("Voiture", "total", 250, "custom", 7000),
    ]
    vacances, *_, voiture = data.provisions
    assert (vacances.color, vacances.start_month, vacances.end_month) == (
        "#0EA5E9",
        "2024-01",
        None,
    )
    assert vacances.target_amount_cents == 300000
    assert (voiture.start_month, voiture.end_month) == ("2024-03", "2024-12")
    assert voiture.target_amount_cents is None  # 0: no target
    assert voiture.color == "#4F46E5"  # "blue" is not #RRGGBB: foyer's default
    kinds = [t.expense_type for t in data.transactions]
    assert kinds[0] == "VARIABLE"  # NULL: Budget Famille's default
    assert kinds[3] == "FIXED"
    assert kinds[5] == "VARIABLE"  # "Variable"
    assert kinds[8] == "PROVISION"


def test_manual_key_and_the_key_budget_famille_had(budget_db: Path) -> None:
    data = read_budget_famille(budget_db)
    # Budget Famille's `revenus` key took gross incomes; foyer's takes nets.
    assert data.legacy_key1 == Fraction(320050, 320050 + 245000)
    change(budget_db, "UPDATE config SET split_mode = 'manuel', split1 = 0.65, split2 = 0.35")
    manual = read_budget_famille(budget_db)
    assert manual.config is not None
    assert (manual.config.split_mode, manual.config.manual_share1_bp) == ("manual", 6500)
    assert manual.legacy_key1 == Fraction(65, 100)


def test_dates_tags_accounts_and_markers(budget_db: Path) -> None:
    data = read_budget_famille(budget_db)
    rows = {t.label: t for t in data.transactions}
    assert rows["FRAIS TENUE DE COMPTE"].date == dt.date(2024, 2, 1)  # date_op NULL
    assert rows["CB AMAZON"].date == dt.date(2024, 1, 31)  # its date wins over its month
    assert "transactions whose month was not their date's: 1" in "\n".join(data.notes)
    assert rows["CB CARREFOUR MARKET"].tags == ("courses", "famille")
    assert rows["CB BOULANGERIE PAUL"].tags == ("pain", "petit-déj")
    assert rows["VIR SALAIRE HUGO"].account == "joint"
    assert rows["CB CARREFOUR MARKET"].account == "Compte joint"
    assert (rows["CB LECLERC DRIVE"].category, rows["CB LECLERC DRIVE"].category_parent) == (
        "uncategorized",
        "uncategorized",
    )
    assert rows["VIR INTERNE LIVRET A"].exclude is True
    assert rows["CB AMAZON"].import_id == "bf:id:14"  # no row_id: the old id
    digest = hashlib.sha256(b"2024-01-02|VIR SALAIRE CAMILLE|2845.67").hexdigest()
    assert data.transactions[0].import_id == f"bf:{digest}"
    assert any("'Ancien abonnement'" in n for n in data.notes)  # 0.00: left out
    assert data.left_behind == {"users": 2}


def test_an_older_file_without_the_later_columns(tmp_path: Path) -> None:
    data = read_budget_famille(build_budget_famille_db(tmp_path / "old.db", minimal=True))
    assert data.config is not None
    assert (data.config.tax_rate1_bp, data.config.tax_rate2_bp) == (0, 0)
    assert len(data.transactions) == len(TRANSACTIONS)
    first = data.transactions[0]
    assert (first.category, first.account, first.expense_type, first.tags) == (
        "uncategorized",
        "joint",
        "VARIABLE",
        (),
    )
    assert first.import_id == "bf:id:1"
    assert data.left_behind == {}
    assert data.provisions[0].current_amount_cents == 0
    # No global_months or category_budgets table yet: nothing of theirs, and said so.
    assert (data.balances, data.budgets) == ((), ())
    notes = "\n".join(data.notes)
    assert "no global_months table (an older Budget Famille): no monthly balances" in notes
    assert "no category_budgets table (an older Budget Famille): no category budgets" in notes


def test_the_file_is_left_as_it_was(budget_db: Path) -> None:
    before = budget_db.read_bytes()
    read_budget_famille(budget_db)
    assert budget_db.read_bytes() == before
    assert sorted(p.name for p in budget_db.parent.iterdir()) == ["budget.db"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("DROP TABLE custom_provisions", "no 'custom_provisions' table"),
        ("ALTER TABLE transactions DROP COLUMN amount", "'transactions' has no column 'amount'"),
        ("UPDATE fixed_lines SET freq = 'hebdomadaire' WHERE rowid = 2", "fixed_lines row 2, freq"),
        ("UPDATE custom_provisions SET split_mode = '60/40'", "unknown value '60/40'"),
        ("UPDATE config SET split_mode = 'au feeling'", "config row 1, split_mode"),
        ("UPDATE transactions SET expense_type = 'LOISIR' WHERE id = 3", "'LOISIR'"),
        ("UPDATE transactions SET amount = 9e999 WHERE id = 5", "transactions row 5, amount"),
        ("UPDATE transactions SET amount = 'nan' WHERE id = 5", "not a finite number"),
        ("UPDATE transactions SET amount = 'douze' WHERE id = 5", "'douze' is not a number"),
        ("UPDATE transactions SET amount = NULL WHERE id = 5", "transactions row 5, amount"),
        ("UPDATE transactions SET date_op = '31/01/2024' WHERE id = 2", "not a date"),
        ("UPDATE transactions SET date_op = NULL, month = NULL WHERE id = 2", "neither a date"),
        ("UPDATE config SET tax_rate1 = 120", "outside 0–100"),
        ("UPDATE config SET rev2 = -10", "below"),
        (
            "UPDATE global_months SET month = '2024-13' WHERE rowid = 2",
            "global_months row 2, month",
        ),
        ("UPDATE global_months SET month = NULL WHERE rowid = 1", "global_months row 1, month"),
        (
            "UPDATE global_months SET account_balance = 'inf' WHERE rowid = 3",
            "global_months row 3, account_balance: 'inf' is not a finite number",
        ),
        (
            "UPDATE global_months SET account_balance = 'beaucoup' WHERE rowid = 1",
            "global_months row 1, account_balance: 'beaucoup' is not a number",
        ),
        (
            "UPDATE category_budgets SET budget_amount = 9e999 WHERE rowid = 2",
            "category_budgets row 2, budget_amount: inf is not a finite number",
        ),
        (
            "UPDATE category_budgets SET budget_amount = 'nan' WHERE rowid = 1",
            "category_budgets row 1, budget_amount: 'nan' is not a finite number",
        ),
        (
            "UPDATE category_budgets SET budget_amount = 2e12 WHERE rowid = 1",
            "category_budgets row 1, budget_amount: 2000000000000.0 is out of range",
        ),
        (
            "UPDATE category_budgets SET month = '02/2024' WHERE rowid = 3",
            "category_budgets row 3, month",
        ),
        (
            "UPDATE category_budgets SET is_active = 'peut-être' WHERE rowid = 1",
            "category_budgets row 1, is_active",
        ),
        (
            "ALTER TABLE global_months DROP COLUMN account_balance",
            "'global_months' has no column 'account_balance'",
        ),
        (
            "ALTER TABLE category_budgets DROP COLUMN budget_amount",
            "'category_budgets' has no column 'budget_amount'",
        ),
    ],
)
def test_bad_files_fail_with_a_clear_message(budget_db: Path, damage: str, message: str) -> None:
    change(budget_db, damage)
    with pytest.raises(BudgetFamilleError, match=message.replace("(", r"\(")):
        read_budget_famille(budget_db)


def test_not_a_budget_famille_file(tmp_path: Path) -> None:
    text = tmp_path / "releve.csv"
    text.write_text("Date;Libellé;Montant\n02/01/2024;CB;-12,30\n")
    with pytest.raises(BudgetFamilleError, match="not a Budget Famille database"):
        read_budget_famille(text)
    other = tmp_path / "other.db"
    change(other, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    with pytest.raises(BudgetFamilleError, match="no 'config' table"):
        read_budget_famille(other)
    with pytest.raises(BudgetFamilleError, match="no such file"):
        read_budget_famille(tmp_path / "missing.db")


def test_amounts_saved_as_text_are_read_too(budget_db: Path) -> None:
    change(budget_db, "UPDATE transactions SET amount = '-12,30' WHERE id = 2")
    assert read_budget_famille(budget_db).transactions[1].amount_cents == -1230


def test_balances_and_budgets_become_exact_cents(budget_db: Path) -> None:
    data = read_budget_famille(budget_db)
    assert data.balances == tuple(
        BalanceRow(month=row["month"], cents=exact_cents(row["account_balance"]))
        for row in BALANCES
    )
    assert [b.cents for b in data.balances] == [152340, 98765, -30]  # -(0.1 + 0.2): -30
    assert data.budgets == tuple(
        BudgetRow(category=category, month=month, amount_cents=exact_cents(amount))
        for category, month, amount in BUDGETS
    )
    assert [b.amount_cents for b in data.budgets] == [60000, 65050, 12000, 1999]
    notes = "\n".join(data.notes)
    assert "months without a balance (global_months): 1; nothing to migrate" in notes
    assert "inactive category budgets not migrated: 1 ('Loisirs')" in notes
    assert "category budget 'Cadeaux' (every month, 0.00) not migrated: amount not > 0" in notes
    assert "'pharmacie' -> 'Pharmacie'" in notes


def test_what_foyer_does_not_take_is_not_checked(budget_db: Path) -> None:
    # A month without a balance and an inactive budget are left out whole: their other
    # cells do not stop the migration.
    change(budget_db, "UPDATE global_months SET month = 'avril' WHERE account_balance IS NULL")
    change(budget_db, "UPDATE category_budgets SET month = 'jamais' WHERE is_active = 0")
    data = read_budget_famille(budget_db)
    assert len(data.balances) == len(BALANCES)
    assert len(data.budgets) == len(BUDGETS)
    # A negative budget is left out like a zero one; a blank month is every month.
    change(budget_db, "UPDATE category_budgets SET budget_amount = -5 WHERE category = 'Courses'")
    change(budget_db, "UPDATE category_budgets SET month = '  ' WHERE category = 'Restaurants'")
    data = read_budget_famille(budget_db)
    assert [(b.category, b.month) for b in data.budgets] == [
        ("Restaurants", None),
        ("Pharmacie", None),
    ]
    assert "category budget 'Courses' (2024-02, -5.00) not migrated" in "\n".join(data.notes)


def test_duplicate_rows_the_last_one_wins(budget_db: Path) -> None:
    # Budget Famille's category_budgets had no unique index: the same category and month
    # twice (or once lower-cased) is one foyer budget, the file's last row (the latest saved).
    change(
        budget_db,
        "INSERT INTO category_budgets (category, budget_amount, month, is_active) "
        "VALUES ('courses', 700.1, NULL, 1)",
    )
    # global_months.month is unique, but not once its spaces are trimmed.
    change(budget_db, "INSERT INTO global_months (month, account_balance) VALUES (' 2024-01', 12)")
    data = read_budget_famille(budget_db)
    courses = [b for b in data.budgets if b.category == "Courses" and b.month is None]
    assert courses == [BudgetRow(category="Courses", month=None, amount_cents=70010)]
    assert len(data.budgets) == len(BUDGETS)
    january = [b for b in data.balances if b.month == "2024-01"]
    assert january == [BalanceRow(month="2024-01", cents=1200)]
    notes = "\n".join(data.notes)
    assert (
        "category_budgets rows 1, 7 are budgets for 'Courses' (every month): "
        "row 7's 700.10 was taken (the last one)"
    ) in notes
    assert "global_months rows 1, 5 are balances for 2024-01: row 5's 12.00 was taken" in notes


# -- the migration, on both databases --------------------------------------------------------

SNAPSHOT_TABLES: tuple[Table, ...] = (
    household,
    household_config,
    fixed_line,
    provision,
    bank_transaction,
    transaction_tag,
    agg_month,
    agg_category,
    agg_tag,
    agg_label,
    month_balance,
    category_budget,
    data_stamp,  # a run that writes nothing renews no stamp: cached views stay valid
)
_VOLATILE = {"created_at", "updated_at"}


def migrate(engine: Engine, path: Path, name: str = "Home") -> MigrationSummary:
    with Database(engine).unit_of_work() as conn:
        return migrate_budget_famille(conn, household_name=name, data=read_budget_famille(path))


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row foyer holds, timestamps aside, in a stable order."""
    result = {}
    for table in SNAPSHOT_TABLES:
        cols = [c for c in table.c if c.name not in _VOLATILE]
        result[table.name] = sorted(tuple(row) for row in conn.execute(select(*cols)))
    return result


def test_migration_lands_everything_and_a_second_run_changes_nothing(
    engine: Engine, budget_db: Path
) -> None:
    first = migrate(engine, budget_db)
    assert first.household_created
    assert first.config_written is True
    assert (first.fixed_lines.inserted, first.fixed_lines.skipped) == (6, 0)
    assert (first.provisions.inserted, first.provisions.skipped) == (5, 0)
    assert (first.transactions.inserted, first.transactions.skipped) == (len(TRANSACTIONS), 0)
    assert first.balances == Counts(inserted=len(BALANCES), skipped=0)
    assert first.budgets == Counts(inserted=len(BUDGETS), skipped=0)
    assert first.notes == ()
    with Database(engine).read() as conn:
        before = snapshot(conn)

    second = migrate(engine, budget_db)

    assert second.household_id == first.household_id
    assert not second.household_created
    assert second.config_written is False
    assert (second.fixed_lines.inserted, second.fixed_lines.skipped) == (0, 6)
    assert (second.provisions.inserted, second.provisions.skipped) == (0, 5)
    assert (second.transactions.inserted, second.transactions.skipped) == (0, len(TRANSACTIONS))
    assert second.balances == Counts(inserted=0, skipped=len(BALANCES))
    assert second.budgets == Counts(inserted=0, skipped=len(BUDGETS))
    assert second.notes == ()
    with Database(engine).read() as conn:
        assert snapshot(conn) == before


def test_balances_and_budgets_land_in_cents_exactly(engine: Engine, budget_db: Path) -> None:
    household_id = migrate(engine, budget_db).household_id
    with Database(engine).read() as conn:
        stored = conn.execute(
            select(month_balance.c.month, month_balance.c.account_balance_cents)
            .where(month_balance.c.household_id == household_id)
            .order_by(month_balance.c.month)
        ).all()
        held = list_budgets(conn, household_id=household_id)
    assert [tuple(row) for row in stored] == [
        (row["month"], exact_cents(row["account_balance"])) for row in BALANCES
    ]
    assert sorted((b.category, b.month or "", b.amount_cents) for b in held) == sorted(
        (category, month or "", exact_cents(amount)) for category, month, amount in BUDGETS
    )
    assert {b.category_parent for b in held} == {None}  # every parent, as Budget Famille had it


def test_what_the_household_holds_is_kept_and_said(engine: Engine, budget_db: Path) -> None:
    """A balance or budget entered in foyer (before, or since an earlier run) is kept even
    when the file says otherwise: foyer's is the couple's later word. Nothing is written for
    it, so no data stamp is renewed."""
    household_id = migrate(engine, budget_db).household_id
    with Database(engine).unit_of_work() as conn:
        balances.set_balance(conn, household_id=household_id, month="2024-02", cents=100_000)
        courses = next(
            b
            for b in list_budgets(conn, household_id=household_id)
            if (b.category, b.month) == ("Courses", None)
        )
        changed = budgets.NewBudget("Courses", None, None, 55_000)
        budgets.replace_budget(conn, household_id=household_id, budget_id=courses.id, item=changed)
        # A month the old app has too, entered in foyer first: the same amount, no note.
        balances.set_balance(conn, household_id=household_id, month="2024-05", cents=1)
    change(budget_db, "INSERT INTO global_months (month, account_balance) VALUES ('2024-05', 0.01)")
    with Database(engine).read() as conn:
        before = snapshot(conn)

    again = migrate(engine, budget_db)

    assert again.balances == Counts(inserted=0, skipped=len(BALANCES) + 1)
    assert again.budgets == Counts(inserted=0, skipped=len(BUDGETS))
    assert again.notes == (
        "balance of 2024-02: foyer's 1000.00 kept (Budget Famille: 987.65)",
        "budget 'Courses' (every month): foyer's 550.00 kept (Budget Famille: 600.00)",
    )
    with Database(engine).read() as conn:
        assert snapshot(conn) == before


def test_an_older_file_migrates_without_balances_or_budgets(engine: Engine, tmp_path: Path) -> None:
    summary = migrate(engine, build_budget_famille_db(tmp_path / "old.db", minimal=True))
    assert summary.transactions.inserted == len(TRANSACTIONS)
    assert (summary.balances, summary.budgets) == (Counts(), Counts())
    with Database(engine).read() as conn:
        assert list_budgets(conn, household_id=summary.household_id) == []
        count = select(func.count()).select_from(month_balance)
        assert conn.execute(count).scalar_one() == 0


def _spent(category: str, month: str) -> int:
    """What the fixture's rows spent on `category` in `month` (debits not excluded, positive
    cents), worked out from the floats on their own."""
    return -sum(
        exact_cents(row["amount"])
        for row in TRANSACTIONS
        if row["category"] == category
        and (row["date_op"] or f"{row['month']}-01")[:7] == month
        and row["amount"] < 0
        and not row["exclude"]
    )


def test_the_couples_month_views_show_what_moved(api: Api, engine: Engine, budget_db: Path) -> None:
    """Through the API: the transfer plan counts the migrated balance, the budgets view the
    migrated budgets, a month's own budget winning over the category's default."""
    assert migrate(engine, budget_db, "Home").household_id == api.household_id

    for row in BALANCES:
        money = exact_cents(row["account_balance"]) / 100
        assert api.ok(f"/balances/{row['month']}")["account_balance"] == money
        assert api.ok("/dashboard/transfers", month=row["month"])["account_balance"] == money
    assert api.ok("/dashboard/transfers", month="2024-03")["account_balance"] == -0.3
    # April had no balance in Budget Famille: none in foyer either (the plan counts 0).
    assert api.ok("/balances/2024-04")["account_balance"] is None
    assert api.ok("/dashboard/transfers", month="2024-04")["account_balance"] == 0

    def budgets_of(month: str) -> dict[str, tuple[float, float]]:
        view = api.ok("/dashboard/budgets", month=month)
        return {item["category"]: (item["budget"], item["spent"]) for item in view["items"]}

    assert _spent("Courses", "2024-01") == 9975  # the views have something to count
    assert budgets_of("2024-01") == {
        "Courses": (600.0, _spent("Courses", "2024-01") / 100),
        "Pharmacie": (19.99, _spent("Pharmacie", "2024-01") / 100),
    }
    assert budgets_of("2024-02") == {
        "Courses": (650.5, 0.0),  # February's own budget, not the default's 600
        "Pharmacie": (19.99, 0.0),
        "Restaurants": (120.0, 0.0),
    }
    assert budgets_of("2024-03")["Courses"] == (600.0, 0.0)
    listed = api.ok("/budgets")["items"]
    assert [(b["category"], b["month"], b["amount"]) for b in listed] == [
        ("Courses", None, 600.0),
        ("Courses", "2024-02", 650.5),
        ("Pharmacie", None, 19.99),
        ("Restaurants", "2024-02", 120.0),
    ]


def test_migrated_rows_and_exact_aggregates(engine: Engine, budget_db: Path) -> None:
    summary = migrate(engine, budget_db)
    household_id = summary.household_id
    t = bank_transaction
    with Database(engine).read() as conn:
        assert aggregates.verify(conn, household_id) == []
        stored = conn.execute(
            select(t.c.month, func.sum(t.c.amount_cents), func.count())
            .where(t.c.household_id == household_id)
            .group_by(t.c.month)
            .order_by(t.c.month)
        ).all()
        months = conn.execute(
            select(agg_month.c.month, agg_month.c.income_cents, agg_month.c.transactions)
            .where(agg_month.c.household_id == household_id)
            .order_by(agg_month.c.month)
        ).all()
        salary = conn.execute(
            select(t.c.date, t.c.month, t.c.label, t.c.category, t.c.expense_type).where(
                t.c.household_id == household_id, t.c.amount_cents == 284567
            )
        ).one()
        tags = conn.execute(
            select(transaction_tag.c.tag)
            .join(t, t.c.id == transaction_tag.c.transaction_id)
            .where(t.c.label == "CB CARREFOUR MARKET")
            .order_by(transaction_tag.c.tag)
        ).scalars()
        assert list(tags) == ["courses", "famille"]
    # Month by month, against the fixture's floats converted independently; CB AMAZON is
    # filed under its date (January) although Budget Famille had it in February.
    expected: dict[str, list[int]] = {}
    for row in TRANSACTIONS:
        month = (row["date_op"] or f"{row['month']}-01")[:7]
        expected.setdefault(month, [0, 0])
        expected[month][0] += exact_cents(row["amount"])
        expected[month][1] += 1
    assert [(m, int(total), n) for m, total, n in stored] == [
        (m, total, n) for m, (total, n) in sorted(expected.items())
    ]
    income = {
        m: sum(exact_cents(r["amount"]) for r in TRANSACTIONS if r["amount"] > 0 and
               (r["date_op"] or r["month"])[:7] == m)
        for m in expected
    }  # fmt: skip
    assert [(m, i, n) for m, i, n in months] == [
        (m, income[m], n) for m, (_, n) in sorted(expected.items())
    ]
    assert tuple(salary) == (
        dt.date(2024, 1, 2),
        "2024-01",
        "VIR SALAIRE CAMILLE",
        "Salaire",
        "VARIABLE",
    )


ANOTHER_RENT = (
    "INSERT INTO fixed_lines (label, amount, freq, split_mode) "
    "VALUES ('Loyer', 1150.0, 'mensuelle', 'clé')"
)


def test_an_existing_household_is_used_and_what_it_holds_is_counted(
    engine: Engine, budget_db: Path
) -> None:
    user = make_user(engine, household="Home")
    make_user(engine, email="other@example.com", household="Elsewhere")
    change(budget_db, ANOTHER_RENT)
    summary = migrate(engine, budget_db)
    assert summary.household_id == user.household_id
    assert not summary.household_created
    # Two "Loyer" lines in the file: both are new the first time...
    assert summary.fixed_lines.inserted == 7
    # ...and a third one added to the old file later is new on the next run.
    change(budget_db, ANOTHER_RENT)
    again = migrate(engine, budget_db)
    assert (again.fixed_lines.inserted, again.fixed_lines.skipped) == (1, 7)
    with Database(engine).read() as conn:
        others = conn.execute(
            select(func.count())
            .select_from(bank_transaction)
            .where(bank_transaction.c.household_id != user.household_id)
        ).scalar_one()
    assert others == 0


def test_a_row_added_to_the_old_file_later_is_the_only_one_inserted(
    engine: Engine, budget_db: Path
) -> None:
    migrate(engine, budget_db)
    change(
        budget_db,
        "INSERT INTO transactions (month, date_op, label, amount, row_id) "
        "VALUES ('2024-02', '2024-02-20', 'CB FNAC', -59.99, 'f00d')",
    )
    summary = migrate(engine, budget_db)
    assert (summary.transactions.inserted, summary.transactions.skipped) == (
        1,
        len(TRANSACTIONS),
    )
    with Database(engine).read() as conn:
        assert aggregates.verify(conn, summary.household_id) == []


# -- the command -------------------------------------------------------------------------------


@pytest.fixture
def cli_env(scratch_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FOYER_DATABASE_URL", scratch_url)
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    return scratch_url


def _count(url: str, table: Table) -> int:
    engine = engine_for(url)
    with engine.connect() as conn:
        value = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    engine.dispose()
    return value


def test_command_migrates_reports_and_is_idempotent(cli_env: str, budget_db: Path) -> None:
    args = ["import", "budget-famille", str(budget_db), "--household", "Chez nous"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "household 'Chez nous'" in first.output
    assert f"transactions: {len(TRANSACTIONS)} inserted, 0 already there" in first.output
    assert "fixed lines: 6 inserted" in first.output
    assert f"monthly balances: {len(BALANCES)} inserted, 0 already there" in first.output
    assert f"category budgets: {len(BUDGETS)} inserted, 0 already there" in first.output
    assert "note: inactive category budgets not migrated: 1 ('Loisirs')" in first.output
    assert "not migrated yet" not in first.output
    assert "2 users" in first.output
    assert "net incomes" in first.output  # the key changes meaning: said so
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert f"transactions: 0 inserted, {len(TRANSACTIONS)} already there" in second.output
    assert "configuration: unchanged" in second.output
    assert f"monthly balances: 0 inserted, {len(BALANCES)} already there" in second.output
    assert f"category budgets: 0 inserted, {len(BUDGETS)} already there" in second.output
    assert _count(cli_env, bank_transaction) == len(TRANSACTIONS)
    assert _count(cli_env, month_balance) == len(BALANCES)
    assert _count(cli_env, category_budget) == len(BUDGETS)


def test_command_refuses_a_file_that_is_not_budget_famille(cli_env: str, tmp_path: Path) -> None:
    bad = tmp_path / "budget.db"
    bad.write_bytes(b"SQLite format 2\x00 but not really")
    result = runner.invoke(app, ["import", "budget-famille", str(bad), "--household", "H"])
    assert result.exit_code == 1
    assert "not a Budget Famille database" in result.output
    assert _count(cli_env, household) == 0
