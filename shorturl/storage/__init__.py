"""Storage: the database engine and sessions, the link cache, and the schema migrations."""
