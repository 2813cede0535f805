"""Only foyer.services writes the transaction and aggregate tables (a source check): the
aggregates stay exact because no other module can write around their maintenance."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import foyer
from foyer.services import aggregates

PROTECTED = {
    "bank_transaction",
    "transaction_tag",
    "split_original",
    *(t.name for t in aggregates.TABLES),
}
WRITERS = {
    "foyer/services/transactions.py",
    "foyer/services/transaction_moves.py",
    # Split bank rows: the original out to split_original and its parts in, or back, with
    # one aggregates delta (services/transactions.py was near its size budget).
    "foyer/services/splits.py",
    "foyer/services/aggregates/maintain.py",
    "foyer/services/aggregates/recompute.py",
}


def test_only_the_services_write_transactions_and_aggregates() -> None:
    root = Path(foyer.__file__).parent
    raw_sql = re.compile(
        r"(INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+(" + "|".join(PROTECTED) + r")\b", re.I
    )
    offenders = []
    for path in root.rglob("*.py"):
        name = f"foyer/{path.relative_to(root)}"
        if name in WRITERS or "/migrations/" in name:
            continue
        source = path.read_text()
        if raw_sql.search(source):
            offenders.append(f"{name}: SQL text writes a protected table")
        tree = ast.parse(source)
        tables = {  # local names bound to protected tables by `from foyer.db.schema[.x] import`
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and (node.module or "").startswith("foyer.db.schema")
            for alias in node.names
            if alias.name in PROTECTED
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"insert", "update", "delete"}
                and isinstance(node.value, ast.Name)
                and node.value.id in tables
            ):
                offenders.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}()")
    assert offenders == []
