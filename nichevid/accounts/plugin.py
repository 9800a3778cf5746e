"""Accounts as a plugin of the core."""
