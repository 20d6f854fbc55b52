"""Administration over the API (seed 002): expired and unused links, link search, users."""
