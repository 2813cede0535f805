"""The household's budget rules, pure and I/O-free: keys, splits, fixed lines, provisions.

`foyer.domain.summary` assembles the dashboard from these rules and from the month's
transaction totals, whichever read path (reference or optimised) produced them.
"""
