"""Which parsed rows a household already has (SPEC §8), by counting occurrences.

A row's key is its date, amount in cents, account and folded label (case, accents and
spaces ignored). Identical keys are legitimate (two coffees the same day), so the n-th
row of a file with a given key is new only when the household holds fewer than n rows
with that key. Importing a file therefore leaves the household with
`max(held, in this file)` rows per key: re-importing a file inserts nothing, and a series
of statements covering whole days (any overlaps, any order) inserts every row exactly once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from foyer.imports.model import ParsedRow
from foyer.imports.text import fold


class DedupeKey(NamedTuple):
    date: dt.date
    amount_cents: int
    account: str
    label: str  # folded


def dedupe_key(row: ParsedRow, *, default_account: str) -> DedupeKey:
    """The row's key; a row without its own account takes the import's (`joint` by default)."""
    return DedupeKey(row.date, row.amount_cents, row.account or default_account, fold(row.label))


def mark_duplicates(keys: Iterable[DedupeKey], held: Mapping[DedupeKey, int]) -> Iterator[bool]:
    """For each key in file order, True when it is a duplicate of a row already held."""
    seen: Counter[DedupeKey] = Counter()
    for key in keys:
        limit = held.get(key, 0)
        if not limit:  # nothing held: always new, and no need to count it (memory stays
            yield False  # bounded by the household's matching keys, not the file's size)
            continue
        seen[key] += 1
        yield seen[key] <= limit
