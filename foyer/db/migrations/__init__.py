"""Alembic migrations of foyer's schema (run with `foyer migrate`)."""
