"""One month of the demo couple's bank statement, generated fast and deterministically.

A month is its recurring rows (salaries, direct debits, savings and internal transfers:
`household.Profile.recurring_rows`) and then card payments and small credits from the
merchant catalogue. How many payments each merchant gets is not drawn row by row: the
month's quota per merchant is its share of the month's seasonal weights, rounded so the
quotas sum to the count asked for. That keeps a month's total close to what the couple
spends (a run of unlucky draws cannot put ten holiday rentals in one March), and when
more rows are asked for than a couple makes (the bench datasets ask for 30,000 a month),
every merchant gets proportionally more payments at the same realistic prices.

Speed matters (the bench loads millions of rows): per row one `getrandbits` call whose
bits pick the day, the label and the amount (from the merchant's precomputed table of
integer cents) and the account, and no float anywhere near an amount.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from itertools import accumulate

from foyer.demo.household import Profile, profile
from foyer.demo.merchants import (
    ACCOUNT_BITS,
    AMOUNT_BITS,
    LABEL_BITS,
    MERCHANTS,
    SUMMER,
    accounts_of,
    amount_table,
    labels_of,
)
from foyer.months import month_bounds, parse_month
from foyer.services.transactions import NewRow

#: Days are drawn from a table of 128 entries: 7 random bits.
DAY_BITS = 7
#: Relative weight of a day for card payments, Monday first: more on Saturdays, little on
#: Sundays when most shops are closed.
WEEKDAY_WEIGHTS = (4, 4, 4, 4, 5, 6, 2)

_LABEL_SHIFT = DAY_BITS
_AMOUNT_SHIFT = _LABEL_SHIFT + LABEL_BITS
_ACCOUNT_SHIFT = _AMOUNT_SHIFT + AMOUNT_BITS
_RANDOM_BITS = _ACCOUNT_SHIFT + ACCOUNT_BITS
_DAY_MASK = (1 << DAY_BITS) - 1
_LABEL_MASK = (1 << LABEL_BITS) - 1
_AMOUNT_MASK = (1 << AMOUNT_BITS) - 1

# What the hot loop unpacks per row: parent, category, labels, amounts, accounts, tags,
# and the label's suffix for each day of the month (" DD/MM" or "").
_Entry = tuple[
    str, str, tuple[str, ...], tuple[int, ...], tuple[str, ...], list[str], tuple[str, ...]
]


@functools.cache
def _tables() -> list[tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]]:
    """Each merchant's padded labels, amount table and padded accounts, built once."""
    return [(labels_of(m), amount_table(m), accounts_of(m)) for m in MERCHANTS]


def _spread(weights: list[int], size: int) -> tuple[int, ...]:
    """A table of `size` indexes in which index i appears in proportion to weights[i]."""
    bounds = list(accumulate(weights))
    total, out, i = bounds[-1], [], 0
    for slot in range(size):
        while (2 * slot + 1) * total >= 2 * size * bounds[i]:  # slot's midpoint past bound i
            i += 1
        out.append(i)
    return tuple(out)


@functools.lru_cache(maxsize=256)
def _month(month: str) -> tuple[list[dt.date], tuple[int, ...], list[_Entry], list[int]]:
    """The month's days, a table of day indexes to draw from (weekdays weighted), its
    merchants ready for the hot loop, and their weights this month."""
    first, after = month_bounds(month)
    days = [first + dt.timedelta(days=d) for d in range((after - first).days)]
    dated = tuple(f" {day.day:02d}/{day.month:02d}" for day in days)
    undated = tuple("" for _ in days)
    day_table = _spread([WEEKDAY_WEIGHTS[day.weekday()] for day in days], 1 << DAY_BITS)
    number = parse_month(month)[1]
    entries: list[_Entry] = []
    for m, (labels, amounts, accounts) in zip(MERCHANTS, _tables(), strict=True):
        tags = [*m.tags, "vacances"] if m.holiday and number in SUMMER else list(m.tags)
        suffixes = dated if m.dated else undated
        entries.append((m.parent, m.category, labels, amounts, accounts, tags, suffixes))
    return days, day_table, entries, [m.weight(number) for m in MERCHANTS]


def quotas(weights: list[int], count: int, draw: int) -> list[int]:
    """Split `count` payments among merchants in proportion to their weights.

    Systematic rounding: quota i = floor((count * C_i + draw) / W) - floor((count *
    C_{i-1} + draw) / W), with C the cumulative weights, W their total and `draw` uniform
    in [0, W). Each quota is its exact share rounded down or up, the quotas always sum to
    `count`, and which merchants round up changes from month to month with `draw`.
    """
    total = sum(weights)
    out, before = [], 0  # (count * 0 + draw) // total
    for cumulative in accumulate(weights):
        upto = (count * cumulative + draw) // total
        out.append(upto - before)
        before = upto
    return out


def _stride(n: int) -> int:
    # A step near n / golden ratio and coprime with n: j -> j * step mod n visits every
    # position once and scatters neighbours, so merchants interleave in id order.
    step = max(1, n * 618 // 1000)
    while math.gcd(step, n) != 1:
        step += 1
    return step


def month_rows(
    rng: random.Random,
    month: str,
    count: int,
    created_at: dt.datetime,
    *,
    household: Profile | None = None,
) -> tuple[list[NewRow], list[list[str]]]:
    """`count` transactions of one month (exactly) and their tags.

    Recurring rows first (as many as fit), then card payments and credits. `household`
    places the provisions' windows and the salaries' raises; by default, the couple as
    of `month` itself. Tag lists are shared between rows of a merchant: read-only.
    """
    household = household or profile(month)
    rows = household.recurring_rows(month, created_at)[:count]
    tags: list[list[str]] = [[] for _ in rows]
    n = count - len(rows)
    if n <= 0:
        return rows, tags
    days, day_table, entries, weights = _month(month)
    sequence: list[_Entry] = []
    for entry, quota in zip(entries, quotas(weights, n, rng.randrange(sum(weights))), strict=True):
        sequence += [entry] * quota
    step, offset = _stride(n), rng.randrange(n)
    getrandbits, append, append_tags = rng.getrandbits, rows.append, tags.append
    for j in range(n):
        parent, category, labels, amounts, accounts, row_tags, suffixes = sequence[
            (offset + j * step) % n
        ]
        bits = getrandbits(_RANDOM_BITS)
        d = day_table[bits & _DAY_MASK]
        append(
            NewRow(
                days[d],
                month,
                labels[(bits >> _LABEL_SHIFT) & _LABEL_MASK] + suffixes[d],
                amounts[(bits >> _AMOUNT_SHIFT) & _AMOUNT_MASK],
                category,
                parent,
                accounts[bits >> _ACCOUNT_SHIFT],
                False,
                "VARIABLE",
                None,
                created_at,
            )
        )
        append_tags(row_tags)
    return rows, tags
