"""The redirect hot path: resolve a code (cache, then database) and answer with a redirect."""
