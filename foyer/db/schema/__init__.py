"""Every table and index of foyer (SQLAlchemy Core). Migrations must produce exactly this.

Conventions: tables singular snake_case, money in `*_cents` BIGINT, percentages in `*_bp`
(hundredths of a percent, so 12.34 % is 1234 and no float is ever stored), `household_id`
on every row that belongs to a household, constraint names from `NAMING_CONVENTION`.

The tables are grouped by what they hold, one module each (household.py, transactions.py,
aggregates.py, jobs.py, rules.py, budgets.py, operations.py, on the metadata of base.py);
this package exports them all, and `metadata` knows every table once they are imported.
"""

from __future__ import annotations

from foyer.db.schema.aggregates import (
    AGGREGATE_TABLES,
    MONTH_COLUMNS,
    agg_category,
    agg_label,
    agg_month,
    agg_tag,
    data_stamp,
)
from foyer.db.schema.base import NAMING_CONVENTION, metadata
from foyer.db.schema.budgets import category_budget
from foyer.db.schema.household import (
    fixed_line,
    household,
    household_config,
    instance_secret,
    month_balance,
    provision,
    revoked_token,
    user_account,
)
from foyer.db.schema.jobs import JOB_STATUSES, job
from foyer.db.schema.operations import feature_flag
from foyer.db.schema.rules import import_mapping, recategorisation, rule
from foyer.db.schema.transactions import (
    IMPORT_STATUSES,
    bank_import,
    bank_transaction,
    split_original,
    transaction_tag,
)

__all__ = [
    "AGGREGATE_TABLES",
    "IMPORT_STATUSES",
    "JOB_STATUSES",
    "MONTH_COLUMNS",
    "NAMING_CONVENTION",
    "agg_category",
    "agg_label",
    "agg_month",
    "agg_tag",
    "bank_import",
    "bank_transaction",
    "category_budget",
    "data_stamp",
    "feature_flag",
    "fixed_line",
    "household",
    "household_config",
    "import_mapping",
    "instance_secret",
    "job",
    "metadata",
    "month_balance",
    "provision",
    "recategorisation",
    "revoked_token",
    "rule",
    "split_original",
    "transaction_tag",
    "user_account",
]
