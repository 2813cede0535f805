"""foyer's words with a fixed set of values, each defined once (SPEC §1–§5).

The money rules, the database checks, the wire schemas and the cached views all import
these; `get_args(X)` gives a vocabulary's values where code needs to list them.
"""

from __future__ import annotations

from typing import Literal, get_args

#: How a shared cost is split between the two members (SPEC §3).
SplitMode = Literal["key", "equal", "member1", "member2", "custom"]
#: How the household's split key is set: from incomes, or by hand (SPEC §2).
KeyMode = Literal["income", "manual"]
#: What a provision's percentage is taken of (SPEC §4).
ProvisionBase = Literal["total", "member1", "member2", "fixed"]
#: How often a fixed line is charged (SPEC §3).
Frequency = Literal["monthly", "quarterly", "annual"]
#: What kind of spending a transaction is (SPEC §5).
ExpenseType = Literal["VARIABLE", "FIXED", "PROVISION"]
#: The orders a transaction listing can be read in (SPEC §5).
Sort = Literal["date_desc", "date_asc", "amount_asc", "amount_desc"]

EXPENSE_TYPES: tuple[ExpenseType, ...] = get_args(ExpenseType)
SORTS: tuple[Sort, ...] = get_args(Sort)
