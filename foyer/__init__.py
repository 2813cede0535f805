"""foyer: a self-hostable budget dashboard for couples, built performance-first."""

__version__ = "0.2.0"
