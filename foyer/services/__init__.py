"""Use cases over a connection the caller's unit of work owns: config, fixed lines,
provisions and transactions. Every function is scoped by `household_id`; none commits.
"""
