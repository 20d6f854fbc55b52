"""Kubernetes probes: `/health/live` (the process answers) and `/health/ready` (send it traffic).

Readiness does not fail when the database or Redis is down: they are shared by every replica,
so failing it would take all of them out of the load balancer at once and turn "cached
redirects keep working" into a full outage. It fails while the process starts or stops (the
lifespan's shutdown has begun), so no new request is routed to a process that is draining.
Both report the dependencies' state in the body, for people.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from shorturl.health.checks import check_dependencies
from shorturl.timestamps import utcnow

__all__ = ["router"]

router = APIRouter(prefix="/health", tags=["health"], include_in_schema=True)


@router.get("/live")
async def live() -> JSONResponse:
    """200 while the process's event loop answers; a restart is the only cure otherwise."""
    return JSONResponse({"status": "alive", "time": utcnow().isoformat()})


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """200 while the process takes traffic (also degraded: Redis or the database away),
    503 before start-up has finished and once shutdown has begun."""
    runtime = request.app.state.runtime
    report = await check_dependencies(runtime)
    accepting = runtime.accepting
    body = {
        "status": "ready" if accepting else "not ready",
        "service": report.status,
        "database": report.database,
        "cache": report.cache,
        "time": utcnow().isoformat(),
    }
    return JSONResponse(body, status_code=200 if accepting else 503)
