"""Safety of link targets: block lists, a reachability check, periodic re-checks (seed 003)."""
