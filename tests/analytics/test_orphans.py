"""Orphan visits: requests that match no link, recorded through the click path, capped per
minute, listed for admins (both modes)."""

from __future__ import annotations

import httpx

from shorturl.runtime import Runtime
from tests.analytics.conftest import UA, Visit, make_link, visit_app
from tests.conftest import AppFactory, MakeAccount, sign_up


async def _admin_client(app: object, make_account: MakeAccount) -> httpx.AsyncClient:
    admin = await make_account("root", role="admin")
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        headers=admin.headers,
    )


async def test_requests_for_no_link_are_recorded_by_type(
    app: object,
    client: httpx.AsyncClient,
    runtime: Runtime,
    visit: Visit,
    make_account: MakeAccount,
    user_client: httpx.AsyncClient,
) -> None:
    code = await make_link(user_client)
    assert (await visit(f"/{code}")).status_code == 301  # a click, not an orphan
    assert (await visit("/nosuchcode", ua=UA["googlebot"])).status_code == 404
    assert (await visit("/wp-login.php?utm_source=scan")).status_code == 400
    assert (await visit("/")).status_code == 200
    assert (await visit("/some/missing/page", ua="Twitterbot/1.0")).status_code == 404
    assert (await visit("/api/v1/nothing-here")).status_code == 404  # an API call: not a visit
    await runtime.clicks.drain()

    async with await _admin_client(app, make_account) as admin:
        listed = (await admin.get("/api/v1/admin/orphan-visits")).json()["data"]
        assert listed["total"] == 4 and listed["left_out"] == 0
        visits = {visit["path"]: visit for visit in listed["visits"]}
        assert {path: visit["type"] for path, visit in visits.items()} == {
            "/nosuchcode": "invalid_short_url",
            "/wp-login.php": "invalid_short_url",
            "/": "base_url",
            "/some/missing/page": "regular_404",
        }
        assert (visits["/nosuchcode"]["kind"], visits["/nosuchcode"]["bot_name"]) == (
            "bot",
            "Googlebot",
        )
        assert visits["/some/missing/page"]["kind"] == "preview"
        assert visits["/wp-login.php"]["query"] == "utm_source=scan"
        assert visits["/"]["country"] == "US" and visits["/"]["user_agent"] == UA["desktop"]

        only = await admin.get("/api/v1/admin/orphan-visits", params={"type": "regular_404"})
        assert [v["path"] for v in only.json()["data"]["visits"]] == ["/some/missing/page"]
        page = (await admin.get("/api/v1/admin/orphan-visits?limit=3&page=2")).json()["data"]
        assert (len(page["visits"]), page["has_more"], page["offset"]) == (1, False, 3)
        future = await admin.get("/api/v1/admin/orphan-visits", params={"from": "2999-01-01"})
        assert future.json()["data"]["total"] == 0
        today = listed["visits"][0]["visited_at"][:10]
        in_range = await admin.get("/api/v1/admin/orphan-visits", params={"to": today})
        assert in_range.json()["data"]["total"] == 4
        for bad in ({"from": "yesterday"}, {"type": "nope"}, {"from": today, "to": "2000-01-01"}):
            refused = await admin.get("/api/v1/admin/orphan-visits", params=bad)
            assert refused.status_code == 400, bad
            assert refused.json()["error"]["code"] == "VALIDATION_ERROR"

        summary = (await admin.get("/api/v1/analytics/summary")).json()["data"]
        assert summary["orphan_visits"] == 4
    assert (await user_client.get("/api/v1/admin/orphan-visits")).status_code == 403
    assert (await client.get("/api/v1/admin/orphan-visits")).status_code == 401


async def test_orphan_visits_over_the_cap_are_counted_not_kept(app_factory: AppFactory) -> None:
    async with app_factory(orphan_visits_per_minute=3) as (app, client):
        runtime: Runtime = app.runtime
        for number in range(10):
            assert (await visit_app(app, f"/scan{number}")).status_code == 404
        # The count left out goes out with the next flush, which may come mid-loop (scaled).
        await runtime.clicks.drain()
        admin = await sign_up(client, runtime, "root", role="admin")
        response = await client.get("/api/v1/admin/orphan-visits", headers=admin.headers)
        listed = response.json()["data"]
        assert (listed["total"], listed["left_out"]) == (3, 7)
        assert runtime.clicks.orphans.left_out == 0


async def test_no_orphan_visits_with_a_cap_of_zero(app_factory: AppFactory) -> None:
    async with app_factory(orphan_visits_per_minute=0) as (app, client):
        runtime: Runtime = app.runtime
        assert (await visit_app(app, "/nothing")).status_code == 404
        await runtime.clicks.drain()
        admin = await sign_up(client, runtime, "root", role="admin")
        response = await client.get("/api/v1/admin/orphan-visits", headers=admin.headers)
        listed = response.json()["data"]
        assert (listed["total"], listed["left_out"]) == (0, 0)
