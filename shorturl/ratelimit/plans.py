"""The plans: hourly limits per bucket (seed 003 table) and the monthly link quota."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["ANONYMOUS_PLAN", "PLANS", "PLAN_NAMES", "Bucket", "Plan", "plan_named"]

Bucket = Literal["create", "redirect", "analytics", "api"]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one plan allows. Limits are per hour; `monthly_quota` counts links created in a
    calendar month (UTC), None meaning no quota."""

    name: str
    create: int
    redirect: int
    analytics: int
    # Every other API v1 request (reads, updates, deletes, keys, webhooks…). Not in the seed
    # table; ten times the creation limit.
    api: int
    monthly_quota: int | None

    def limit(self, bucket: Bucket) -> int:
        return int(getattr(self, bucket))


ANONYMOUS_PLAN: Final = Plan("anonymous", 10, 1_000, 10, 100, None)
PLANS: Final = {
    plan.name: plan
    for plan in (
        Plan("free", 100, 10_000, 100, 1_000, 1_000),
        Plan("premium", 1_000, 100_000, 1_000, 10_000, 10_000),
        Plan("enterprise", 10_000, 1_000_000, 10_000, 100_000, 100_000),
    )
}
PLAN_NAMES: Final = tuple(PLANS)


def plan_named(name: str | None) -> Plan:
    """The plan called `name`; anonymous for None; free for a name no longer offered."""
    if name is None or name == ANONYMOUS_PLAN.name:
        return ANONYMOUS_PLAN
    return PLANS.get(name, PLANS["free"])
