"""Accounts: users, API keys, authentication and ownership."""
