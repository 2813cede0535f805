"""The materialised aggregates: maintained in every write's own transaction, verified, rebuilt.

`agg_month`, `agg_category`, `agg_tag` and `agg_label` (see foyer.db.schema) hold counts
and sums of `bank_transaction` per group. They are exact at every commit because the only
code that writes transactions (foyer.services.transactions) hands every row it adds or
removes to `Delta`, and applies it with `apply` before its unit of work commits: one
upsert per touched group, not per row, so a bulk load pays little for it (docs/PERFORMANCE.md
has the measured cost). A test fails if any other module writes those tables.

Why not database triggers: SQLite only has row-level triggers, which would turn a
10,000-row bulk insert into 10,000 upserts per aggregate table; maintaining the groups in
one place in Python costs one upsert per group, on both databases, with the same code.

One job per module, all importable from here:
- `delta`: `Delta`, the net change of every group a write touches (and `Fact`, one row's part);
- `maintain`: `apply`, the upserts and the min/max recompute (concurrency notes there);
- `recompute`: `recompute_query` defines every aggregate straight from the rows with
  GROUP BY; `verify` compares against it and `rebuild` reloads from it
  (`foyer aggregates verify|rebuild`).
"""

from __future__ import annotations

from foyer.services.aggregates.delta import FACT_COLUMNS, Delta, Fact, MonthSums
from foyer.services.aggregates.maintain import apply, extreme_query
from foyer.services.aggregates.recompute import (
    TABLES,
    Mismatch,
    rebuild,
    recompute_query,
    verify,
)

__all__ = [
    "FACT_COLUMNS",
    "TABLES",
    "Delta",
    "Fact",
    "Mismatch",
    "MonthSums",
    "apply",
    "extreme_query",
    "rebuild",
    "recompute_query",
    "verify",
]
