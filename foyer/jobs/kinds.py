"""Every kind of job foyer runs, declared in one place (`KINDS`).

A kind is a function of a `JobContext` returning the job's JSON result. It does its own
writes, each in a unit of work (`ctx.database.unit_of_work()`), and reports progress
*between* them: on SQLite a progress write inside an open write transaction would wait
for that very transaction. A job can run again after a crash or a retry, so a kind must
be idempotent: running it twice leaves the data as running it once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from foyer.db.engine import Database
from foyer.domain.categorisation import Matcher
from foyer.months import months_between
from foyer.read import rules as read_rules
from foyer.read.imports import get_import, parse_file
from foyer.services import aggregates, imports, rules

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class JobContext:
    database: Database
    job_id: int
    household_id: int  # every read and write of the job is scoped to it
    payload: JSON
    attempt: int  # 1 for the first run
    progress: Callable[[float], None]  # fraction done, 0..1, committed at once


JobFunction = Callable[[JobContext], JSON]

#: An import this big changes the tables' shape enough for the planner's statistics to
#: lag (SQLite picked the amount index for a month's hierarchy without them, 50x slower)...
OPTIMIZE_AFTER_ROWS = 10_000
#: ...but statistics refreshed this recently are fresh enough: a statement's files
#: imported one after the other get one refresh.
OPTIMIZE_AT_MOST_EVERY_SECONDS = 600.0


def rebuild_aggregates(ctx: JobContext) -> JSON:
    """Reload the household's aggregates from its rows (`foyer aggregates rebuild`, for one
    household, from the API). Idempotent: the aggregates are a function of the rows."""
    with ctx.database.read() as conn:
        mismatches = len(aggregates.verify(conn, ctx.household_id))
    ctx.progress(0.5)
    with ctx.database.unit_of_work() as conn:
        groups = aggregates.rebuild(conn, ctx.household_id)
    return {"mismatches_before": mismatches, "groups": groups}


def commit_import(ctx: JobContext) -> JSON:
    """Insert a bank import's new rows in one transaction (SPEC §8). The file is parsed
    first, outside that transaction (progress 0.5 once parsed): the write lock is held only
    for deduplication, rules and the insert. Idempotent: the import is marked committed in
    the inserting transaction, and a committed import inserts nothing."""
    import_id = int(ctx.payload["import_id"])
    with ctx.database.read() as conn:
        record = get_import(conn, household_id=ctx.household_id, import_id=import_id)
    parsed = None
    if record is not None and record.status == "preview":
        parsed = parse_file(record.content, record.detection)
        ctx.progress(0.5)
    with ctx.database.unit_of_work() as conn:
        result = imports.commit_import(
            conn, household_id=ctx.household_id, import_id=import_id, parsed=parsed
        )
    if result is None:
        raise LookupError("import not found")
    if result.inserted >= OPTIMIZE_AFTER_ROWS:
        ctx.database.optimize(unless_within=OPTIMIZE_AT_MOST_EVERY_SECONDS)
    ctx.progress(1.0)
    return {
        "rows": result.rows,
        "inserted": result.inserted,
        "duplicates": result.duplicates,
        "errors": result.errors,
    }


def apply_rules(ctx: JobContext) -> JSON:
    """Re-apply the household's rules to its rows of months `from`..`to` (SPEC §8
    `rules/apply`), a unit of work per month with progress between them. Idempotent:
    a second run finds every row already as its rule leaves it."""
    months = months_between(str(ctx.payload["from"]), str(ctx.payload["to"]))
    with ctx.database.read() as conn:
        matcher = Matcher(
            r.rule for r in read_rules.list_rules(conn, household_id=ctx.household_id)
        )
    examined = changed = 0
    for done, month in enumerate(months, start=1):
        with ctx.database.unit_of_work() as conn:
            applied = rules.apply_to_month(
                conn, household_id=ctx.household_id, month=month, matcher=matcher
            )
        examined += applied.examined
        changed += applied.changed
        ctx.progress(done / len(months))
    if changed >= OPTIMIZE_AFTER_ROWS:
        ctx.database.optimize(unless_within=OPTIMIZE_AT_MOST_EVERY_SECONDS)
    return {"months": len(months), "examined": examined, "changed": changed}


KINDS: Mapping[str, JobFunction] = MappingProxyType(
    {
        "rebuild_aggregates": rebuild_aggregates,
        "commit_import": commit_import,
        "apply_rules": apply_rules,
    }
)
