"""The seed-001 root API (`/shorten`, `/analytics`, `/health`), mapped onto the same services."""
