"""Shlink's REST API v3 (`/rest/v3`, `/rest/health`) over the links, analytics and accounts domains."""
