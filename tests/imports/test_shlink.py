"""Shlink: its REST API v3 (from a real HTTP server answering with recorded pages) and its
web client's CSV export, in both storage modes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shorturl.accounts.principal import OPERATOR
from shorturl.imports.service import ImportRequest
from shorturl.links.service import NewLink
from shorturl.runtime import Runtime
from tests.imports.conftest import counts, fixture, imported, link, report
from tests.imports.peer_server import peer_server, shlink_route

KEY = "shlink-key-123"


async def _theirs(runtime: Runtime) -> None:
    """A link of ours that has the code one of Shlink's links has."""
    async with runtime.database.sessionmaker() as session:
        await runtime.links.create(
            session, NewLink("https://example.com/ours", custom_alias="taken"), OPERATOR
        )
        await session.commit()


async def test_api_import_keeps_codes_tags_expiry_and_visits(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await _theirs(runtime)
    with peer_server(shlink_route, ("X-Api-Key", KEY)) as peer:
        request = ImportRequest("shlink", api_url=peer.url, api_key=KEY)
        job = await imported(runtime, request)
    assert (job.status, job.error) == ("done", None)
    assert (job.processed, job.total) == (4, 4)
    assert (job.created, job.unchanged, job.clashes, job.failed) == (3, 0, 1, 0)
    assert job.problems == [
        {
            "code": "taken",
            "kind": "clash",
            "problem": "a link here has this code already; left as it is",
        }
    ]
    # Visits are fetched only for links that have some.
    assert sorted(p for p in peer.paths() if p.endswith("/visits")) == [
        "/rest/v3/short-urls/abc12/visits",
        "/rest/v3/short-urls/q/visits",
    ]

    first = await link(client, "abc12")
    assert first["long_url"] == "https://example.com/one?ref=shlink"
    assert first["tags"] == ["news", "promo"]
    assert first["description"] == "First link"
    assert first["expiration_date"] == "2030-01-01T00:00:00Z"
    assert first["created_at"] == "2024-01-10T08:00:00Z"
    assert first["click_count"] == 2  # the robot's visit is kept out, as Shlink's nonBots
    assert first["status"] == "active"
    assert counts(await report(client, "abc12")) == {
        "total": 2,
        "days": {"2024-03-01": 1, "2024-03-02": 1},
        "countries": {"DE": 1, "US": 1},
        "referrers": {"google.com": 1, "direct": 1},
        "devices": {"desktop": 1, "mobile": 1},
    }
    expired = await link(client, "old-1")
    assert (expired["status"], expired["expiration_date"]) == ("expired", "2024-02-01T00:00:00Z")
    assert expired["max_clicks"] == 100
    assert (await client.get("/old-1")).status_code == 410
    tiny = await link(client, "q")  # a code shorter than an alias may be, kept
    assert (tiny["click_count"], tiny["tags"]) == (1, ["tiny"])
    ours = await link(client, "taken")
    assert ours["long_url"] == "https://example.com/ours"  # not overwritten
    redirect = await client.get("/abc12")
    assert redirect.headers["location"] == "https://example.com/one?ref=shlink"


async def test_a_second_run_changes_nothing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    with peer_server(shlink_route, ("X-Api-Key", KEY)) as peer:
        request = ImportRequest("shlink", api_url=peer.url, api_key=KEY)
        first = await imported(runtime, request)
        await runtime.background.drain()  # the new links' page metadata is read meanwhile
        before = [await link(client, code) for code in ("abc12", "old-1", "taken", "q")]
        reports = [await report(client, code) for code in ("abc12", "q")]
        again = await imported(runtime, request)
    assert first.created == 4 and again.id != first.id
    assert (again.created, again.unchanged, again.clashes, again.failed) == (0, 4, 0, 0)
    assert [await link(client, code) for code in ("abc12", "old-1", "taken", "q")] == before
    assert [await report(client, code) for code in ("abc12", "q")] == reports


async def test_an_interrupted_import_continues_where_it_stopped(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    with peer_server(shlink_route, ("X-Api-Key", KEY)) as peer:
        peer.failing = lambda path, query: path == "/rest/v3/short-urls" and query["page"] == ["2"]
        request = ImportRequest("shlink", api_url=peer.url, api_key=KEY)
        stopped = await imported(runtime, request)
        assert stopped.status == "failed" and "HTTP 503" in (stopped.error or "")
        assert (stopped.processed, stopped.created) == (2, 2)
        assert (await client.get("/api/v1/urls/q")).status_code == 404

        peer.failing = lambda path, query: False
        peer.seen.clear()
        resumed = await imported(runtime, request)
    assert resumed.id == stopped.id  # the same job, continued
    assert (resumed.status, resumed.processed, resumed.created) == ("done", 4, 4)
    pages = [query["page"] for path, query in peer.seen if path == "/rest/v3/short-urls"]
    assert pages == [["2"]]  # page 1 was not read again
    assert (await link(client, "q"))["click_count"] == 1
    assert (await link(client, "abc12"))["click_count"] == 2  # counted once


async def test_a_refused_key_fails_the_job_with_its_reason(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    with peer_server(shlink_route, ("X-Api-Key", KEY)) as peer:
        job = await imported(runtime, ImportRequest("shlink", api_url=peer.url, api_key="wrong"))
    assert job.status == "failed"
    assert "HTTP 401, the API key was refused" in (job.error or "")
    assert job.created == 0


async def test_csv_export(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await _theirs(runtime)
    request = ImportRequest("shlink", data=fixture("shlink/short-urls.csv"), file_name="x.csv")
    job = await imported(runtime, request)
    assert (job.status, job.created, job.clashes, job.failed) == ("done", 3, 1, 0)
    first = await link(client, "abc12")
    assert (first["tags"], first["click_count"]) == (["news", "promo"], 3)
    assert first["created_at"] == "2024-01-10T08:00:00Z"
    # Counts without dates are dated on the link's creation.
    assert counts(await report(client, "abc12"))["days"] == {"2024-01-10": 3}
    again = await imported(runtime, request)
    assert (again.created, again.unchanged, again.clashes) == (0, 3, 1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,url\nx,y\n", "has no shortCode, longUrl column"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
async def test_a_file_that_is_not_an_export_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, content: bytes, message: Any
) -> None:
    from shorturl.imports.records import ImportProblem

    with pytest.raises(ImportProblem, match=message):
        await imported(runtime, ImportRequest("shlink", data=content))


async def test_imported_history_and_new_clicks_add_up_through_the_roll_up(
    app: Any, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from shorturl.analytics import service as analytics
    from tests.analytics.conftest import visit_app

    await imported(runtime, ImportRequest("shlink", data=fixture("shlink/short-urls.csv")))
    assert (await visit_app(app, "/abc12")).status_code == 301
    await runtime.clicks.drain(5)
    live = counts(await report(client, "abc12"))
    assert live["total"] == 4 and live["days"]["2024-01-10"] == 3
    async with runtime.database.sessionmaker() as session:
        while await analytics.roll_up_finished_days(session, links=100):
            await session.commit()
        await session.commit()
    assert counts(await report(client, "abc12")) == live
    assert (await link(client, "abc12"))["click_count"] == 4


async def test_a_cancelled_run_leaves_its_job_to_be_continued(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    import asyncio
    import time

    from shorturl.imports.service import open_import, run_import

    with peer_server(shlink_route, ("X-Api-Key", KEY)) as peer:
        # Page 2 takes long: the run is stopped (Ctrl-C, shutdown) while it waits.
        peer.failing = lambda path, query: bool(query.get("page") == ["2"] and time.sleep(1.5))
        request = ImportRequest("shlink", api_url=peer.url, api_key=KEY)
        job_id, _ = await open_import(runtime, request)
        run = asyncio.create_task(run_import(runtime, job_id, request))
        for _ in range(500):  # until page 2 is asked for (page 1 is stored by then)
            if any(query.get("page") == ["2"] for _, query in peer.seen):
                break
            await asyncio.sleep(0.02)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        peer.failing = lambda path, query: False
        resumed = await imported(runtime, request)
    assert resumed.id == job_id
    assert (resumed.status, resumed.processed, resumed.created) == ("done", 4, 4)
