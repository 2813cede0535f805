"""Storage: table definitions, engines, migrations and the unit of work."""
