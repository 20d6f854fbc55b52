"""Links: short codes, long URLs, their validation, storage and the v1 link API."""
