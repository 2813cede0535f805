"""Access (SPEC §7): throttling, bounded hashing, revocation, the signing key, passwords."""
