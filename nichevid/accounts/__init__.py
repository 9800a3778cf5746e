"""Accounts: sign-up, sessions, roles, profiles and API tokens."""
