"""Live clicks: the worker publishes each stored click, web processes stream them as SSE."""
