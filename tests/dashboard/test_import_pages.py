"""The admin dashboard's imports: an uploaded export or a peer's API run as a background
job, whose progress and result show on its page; only administrators get there."""

from __future__ import annotations

import asyncio
import re

import httpx

from shorturl.runtime import Runtime
from tests.dashboard.conftest import SignedIn, csrf_token
from tests.imports.conftest import fixture, link
from tests.imports.peer_server import peer_server, shlink_route


async def _finished(browser: httpx.AsyncClient, page: str) -> str:
    """The job page once the job has ended (it runs in the app's background tasks)."""
    for _ in range(200):
        shown = await browser.get(page)
        assert shown.status_code == 200, shown.text
        if 'http-equiv="refresh"' not in shown.text:
            return shown.text
        await asyncio.sleep(0.05)
    raise AssertionError("the import job did not finish")


async def _start(browser: httpx.AsyncClient, **fields: object) -> httpx.Response:
    shown = await browser.get("/dashboard/admin/imports")
    assert shown.status_code == 200, shown.text
    files = fields.pop("files", None)
    data = {"csrf_token": csrf_token(shown.text), "history": "1", **fields}
    return await browser.post("/dashboard/admin/imports", data=data, files=files)  # type: ignore[arg-type]


async def test_an_uploaded_dump_is_imported_in_the_background(
    signed_in: SignedIn, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    root, _ = await signed_in("root", role="admin")
    sql = fixture("yourls/yourls.sql")
    started = await _start(
        root, source="yourls", files={"file": ("yourls.sql", sql, "application/sql")}
    )
    assert started.status_code == 303, started.text
    page = started.headers["location"]
    assert re.fullmatch(r"/dashboard/admin/imports/\d+", page)
    text = await _finished(root, page)
    assert '<span class="badge active">done</span>' in text
    assert "<dt>Created</dt><dd>2</dd>" in text
    assert "&#39;api&#39; is a reserved word here" in text  # problems listed, escaped
    assert (await link(client, "1"))["click_count"] == 4
    listing = await root.get("/dashboard/admin/imports")
    assert f'href="{page}"' in listing.text

    again = await _start(
        root, source="yourls", files={"file": ("yourls.sql", sql, "application/sql")}
    )
    text = await _finished(root, again.headers["location"])
    assert (
        "<dt>Created</dt><dd>0</dd>" in text
        and "<dt>Unchanged (imported before)</dt><dd>2</dd>" in text
    )


async def test_an_api_import_for_an_owner(
    signed_in: SignedIn, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    root, _ = await signed_in("root", role="admin")
    _, alice = await signed_in("alice", plan="premium")
    with peer_server(shlink_route, ("X-Api-Key", "k")) as peer:
        started = await _start(root, source="shlink", api_url=peer.url, api_key="k", owner="alice")
        assert started.status_code == 303, started.text
        text = await _finished(root, started.headers["location"])
    assert "<dt>Created</dt><dd>4</dd>" in text
    mine = await client.get("/api/v1/urls", headers=alice.headers)
    assert {item["short_code"] for item in mine.json()["data"]["urls"]} == {
        "abc12", "old-1", "taken", "q",
    }  # fmt: skip
    assert "k" not in text.split("<main")[-1].split()  # the key is not shown


async def test_bad_requests_are_explained_and_others_kept_out(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    root, _ = await signed_in("root", role="admin")
    nothing = await _start(root, source="shlink")
    assert nothing.status_code == 400
    assert "give a file or an API address" in nothing.text
    kutt_file = await _start(root, source="kutt", files={"file": ("x.csv", b"a,b\n", "text/csv")})
    assert kutt_file.status_code == 400 and "kutt imports from its API only" in kutt_file.text
    nobody = await _start(
        root, source="csv", owner="nobody", files={"file": ("x.csv", b"a\n", "text/csv")}
    )
    assert nobody.status_code == 400 and "no user" in nobody.text
    alice, _ = await signed_in("alice")
    assert (await alice.get("/dashboard/admin/imports")).status_code == 403
    token = csrf_token((await alice.get("/dashboard")).text)
    refused = await alice.post(
        "/dashboard/admin/imports", data={"csrf_token": token, "source": "shlink"}
    )
    assert refused.status_code == 403
    assert (await root.get("/dashboard/admin/imports/999999")).status_code == 404


async def test_a_stopped_file_import_is_continued_from_its_page(
    signed_in: SignedIn, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from shorturl.imports.service import ImportRequest, open_import

    root, _ = await signed_in("root", role="admin")
    # A job whose process stopped before it ran: its file is kept with it.
    request = ImportRequest("shlink", data=fixture("shlink/short-urls.csv"), file_name="s.csv")
    job_id, _ = await open_import(runtime, request)
    page = f"/dashboard/admin/imports/{job_id}"
    token = csrf_token((await root.get(page)).text)
    resumed = await root.post(f"{page}/resume", data={"csrf_token": token})
    assert resumed.status_code == 303 and resumed.headers["location"] == page
    text = await _finished(root, page)
    assert "<dt>Created</dt><dd>4</dd>" in text
    assert (await link(client, "abc12"))["click_count"] == 3
    done = await root.post(f"{page}/resume", data={"csrf_token": token})
    assert done.status_code == 404  # finished: its file is gone, nothing to continue
