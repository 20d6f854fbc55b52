"""`check_dependencies`: whether the database and Redis answer, and what that makes the service.

`healthy`: both answer. `degraded`: Redis does not, the database does: redirects, the API and
click tracking go on without it (cache misses read the database, clicks wait in the local
inbox). `unhealthy`: the database does not: cached redirects still answer, writes get 503.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from shorturl.runtime import Runtime

__all__ = ["DependencyReport", "check_dependencies"]

Status = Literal["healthy", "degraded", "unhealthy"]


@dataclass(frozen=True, slots=True)
class DependencyReport:
    status: Status
    database: str  # "ok" or "unavailable"
    cache: str  # "ok (in-process)", "ok (redis)" or "unavailable"


async def check_dependencies(runtime: Runtime) -> DependencyReport:
    database_ok = await runtime.database_availability.check()
    cache = "ok (in-process)"
    if runtime.redis_availability is not None:
        cache = "ok (redis)" if await runtime.redis_availability.check() else "unavailable"
    status: Status = "healthy"
    if not database_ok:
        status = "unhealthy"
    elif cache == "unavailable":
        status = "degraded"
    return DependencyReport(status, "ok" if database_ok else "unavailable", cache)
