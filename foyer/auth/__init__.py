"""Households, users, password hashing, bearer tokens and the login rate limit."""
