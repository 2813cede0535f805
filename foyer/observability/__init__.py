"""What foyer tells about itself while it runs: metrics today (logs, alerts and flags to come)."""
