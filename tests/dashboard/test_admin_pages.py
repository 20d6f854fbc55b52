"""Administrators: every link and user, disabling them, and the seed-002 jobs as buttons."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import update

from shorturl.links.models import Link
from shorturl.runtime import Runtime
from shorturl.timestamps import utcnow
from tests.dashboard.conftest import SignedIn, submit
from tests.dashboard.test_link_pages import codes_in, create


async def test_only_admins_see_the_admin_pages(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    browser, _ = await signed_in("alice")
    for page in ("/dashboard/admin", "/dashboard/admin/users", "/dashboard/admin/jobs"):
        response = await browser.get(page)
        assert response.status_code == 403, page
        assert "This page is for administrators" in response.text
    assert (await client.get("/dashboard/admin")).status_code == 303  # anonymous: sign in
    page = await browser.get("/dashboard")
    assert 'href="/dashboard/admin"' not in page.text


async def test_admin_sees_every_link_and_disables_one(
    signed_in: SignedIn, client: httpx.AsyncClient
) -> None:
    alice, _ = await signed_in("alice")
    root, _ = await signed_in("root", role="admin")
    await create(alice, url="https://example.com/a", alias="alice-link", tags="team")
    await submit(client, "/", "/", {"url": "https://example.com/anon", "alias": "anon-link"})

    page = await root.get("/dashboard/admin")
    assert set(codes_in(page.text)) == {"alice-link", "anon-link"}
    assert ">alice</a>" in page.text and "anonymous" in page.text
    assert codes_in((await root.get("/dashboard/admin?q=anon")).text) == ["anon-link"]
    assert codes_in((await root.get("/dashboard/admin?tag=team")).text) == ["alice-link"]

    disabled = await submit(
        root, "/dashboard/admin", "/dashboard/links/alice-link/status",
        {"status": "disabled", "back": "/dashboard/admin?q=alice"},
    )  # fmt: skip
    assert disabled.status_code == 303, disabled.text[-3000:]
    assert disabled.headers["location"] == "/dashboard/admin?q=alice"
    assert (await client.get("/alice-link")).status_code == 404
    assert (await root.get("/dashboard/links/anon-link")).status_code == 200  # admins manage any


async def test_admin_disables_a_user_whose_session_ends(signed_in: SignedIn) -> None:
    alice, account = await signed_in("alice")
    root, admin = await signed_in("root", role="admin")
    users = await root.get("/dashboard/admin/users?q=ali")
    assert 'data-user="alice"' in users.text and 'data-user="root"' not in users.text
    assert (await root.get(f"/dashboard/admin?owner={account.user_id}")).status_code == 200
    done = await submit(
        root, "/dashboard/admin/users", f"/dashboard/admin/users/{account.user_id}/active",
        {"active": "false", "back": "/dashboard/admin/users?q=ali"},
    )  # fmt: skip
    assert done.headers["location"] == "/dashboard/admin/users?q=ali"
    assert (await alice.get("/dashboard")).status_code == 303
    self_disable = await submit(
        root, "/dashboard/admin/users", f"/dashboard/admin/users/{admin.user_id}/active",
        {"active": "false"},
    )  # fmt: skip
    assert self_disable.status_code == 403


async def test_jobs_list_expired_and_deactivate_unused(
    signed_in: SignedIn, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    alice, _ = await signed_in("alice")
    root, _ = await signed_in("root", role="admin")
    for alias in ("old-one", "fresh", "gone"):
        await create(alice, url=f"https://example.com/{alias}", alias=alias)
    async with runtime.database.sessionmaker() as session:
        long_ago = utcnow() - timedelta(days=400)
        await session.execute(
            update(Link).where(Link.code == "old-one").values(created_at=long_ago)
        )
        await session.execute(
            update(Link).where(Link.code == "gone").values(expires_at=utcnow() - timedelta(hours=1))
        )
        await session.commit()

    page = await root.get("/dashboard/admin/jobs")
    assert page.status_code == 200 and "/gone<" in page.text and "/fresh<" not in page.text
    result = await submit(
        root, "/dashboard/admin/jobs", "/dashboard/admin/jobs/deactivate-unused", {"days": "365"}
    )
    assert result.status_code == 200
    assert re.search(
        r"Disabled 1 link idle for 365 days: <span class=\"mono\">old-one", result.text
    )
    assert (await client.get("/old-one")).status_code == 404
    assert (await client.get("/fresh")).status_code == 301
    bad = await submit(
        root, "/dashboard/admin/jobs", "/dashboard/admin/jobs/deactivate-unused", {"days": "0"}
    )
    assert bad.status_code == 400


async def test_an_admins_own_dashboard_shows_their_links_only(signed_in: SignedIn) -> None:
    alice, _ = await signed_in("alice")
    root, _ = await signed_in("root", role="admin")
    await create(alice, url="https://example.com/a", alias="alices", tags="hers")
    await create(root, url="https://example.com/r", alias="roots", tags="his")
    own = await root.get("/dashboard")
    assert codes_in(own.text) == ["roots"] and '<option value="hers"' not in own.text
    everyone = await root.get("/dashboard/admin")
    assert set(codes_in(everyone.text)) == {"alices", "roots"}
    assert '<option value="hers"' in everyone.text
