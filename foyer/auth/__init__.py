"""Users and access: passwords, bearer tokens and their revocation, the signing key, and
the login throttle (SPEC §7)."""
