"""Helpers of the importer tests: run an import on the shared app of each mode, read links."""

from __future__ import annotations

from typing import Any

import httpx

from shorturl.imports.runner import JobView
from shorturl.imports.service import ImportRequest, open_import, run_import
from shorturl.runtime import Runtime
from tests.imports.peer_server import FIXTURES


async def imported(runtime: Runtime, request: ImportRequest, **options: Any) -> JobView:
    """Open the import's job (resuming an unfinished one) and run it to its end."""
    job_id, _ = await open_import(runtime, request, **options)
    return await run_import(runtime, job_id, request)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


async def link(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/urls/{code}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def report(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/urls/{code}/analytics", params={"period": "all", "granularity": "day"}
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def counts(report: dict[str, Any]) -> dict[str, Any]:
    """What a report says, in a form easy to compare."""
    return {
        "total": report["total_clicks"],
        "days": {
            point["date"]: point["clicks"] for point in report["time_series"] if point["clicks"]
        },
        "countries": {row["country_code"]: row["clicks"] for row in report["geographic_data"]},
        "referrers": {row["referrer"]: row["clicks"] for row in report["referrer_data"]},
        "devices": {row["device_type"]: row["clicks"] for row in report["device_data"]},
    }
