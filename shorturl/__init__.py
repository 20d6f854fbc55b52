"""shorturl: a self-hosted URL shortener with click analytics."""
