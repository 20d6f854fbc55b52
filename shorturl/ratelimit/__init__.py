"""Rate limits and quotas: the plan table, the limiters (API, root API, login, redirect), headers."""
