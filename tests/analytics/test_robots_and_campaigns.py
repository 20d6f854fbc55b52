"""Robots and link previews reported by kind and name, and UTM breakdowns, from real redirects
(both modes), live and after their days are rolled up."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shorturl.analytics import service as analytics
from shorturl.analytics.enrich import describe_agent
from shorturl.runtime import Runtime
from tests.analytics.conftest import IP, UA, Visit, click, make_link, store_events

PREVIEWS = {
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)": "Slackbot-LinkExpanding",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)": "FacebookBot",
    "Twitterbot/1.0": "Twitterbot",
    "WhatsApp/2.23.20.0 A": "WhatsApp",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)": "Discordbot",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)": (
        "LinkedInBot"
    ),
    "TelegramBot (like TwitterBot)": "TelegramBot",
}
# iMessage fetches its previews as Facebook's and Twitter's robots
IMESSAGE = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
    "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0"
)


@pytest.mark.parametrize(
    ("agent", "kind", "name"),
    [
        *((agent, "preview", name) for agent, name in PREVIEWS.items()),
        (IMESSAGE, "preview", "FacebookBot"),
        (UA["googlebot"], "bot", "Googlebot"),
        (
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "bot",
            "UptimeRobot",
        ),
        ("curl/8.5.0", "bot", "curl"),
        ("python-requests/2.31.0", "bot", "Python Requests"),
        (None, "bot", None),  # no browser sends none; reported as `unknown`
        (UA["desktop"], "human", None),
        (UA["mobile"], "human", None),
    ],
)
def test_agents_are_classified_by_kind_and_named(
    agent: str | None, kind: str, name: str | None
) -> None:
    facts = describe_agent(agent)
    assert facts.kind == kind
    assert facts.bot_name == name
    assert facts.is_bot == (kind != "human") and facts.is_preview == (kind == "preview")


def _bots(data: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(row["kind"], row["name"]): row["clicks"] for row in data["bot_data"]}


async def _clicked_by_everyone(visit: Visit, code: str) -> None:
    assert (await visit(f"/{code}", ua=UA["googlebot"])).status_code == 301
    for agent in PREVIEWS:
        assert (await visit(f"/{code}", ua=agent)).status_code == 301
    assert (await visit(f"/{code}", ua=IMESSAGE)).status_code == 301
    assert (await visit(f"/{code}", ua=UA["desktop"])).status_code == 301
    assert (await visit(f"/{code}", ua=UA["mobile"], ip=IP["RU"])).status_code == 301
    assert (await visit(f"/{code}", ua=UA["desktop"], method="HEAD")).status_code == 301


async def test_redirects_by_robots_and_previews_are_reported_apart(
    user_client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(user_client)
    await _clicked_by_everyone(visit, code)
    await runtime.clicks.drain()

    data = (await user_client.get(f"/api/v1/urls/{code}/analytics?period=24h")).json()["data"]
    assert (data["total_clicks"], data["bot_clicks"], data["preview_clicks"]) == (2, 1, 8)
    assert _bots(data) == {
        ("bot", "Googlebot"): 1,
        ("preview", "Slackbot-LinkExpanding"): 1,
        ("preview", "FacebookBot"): 2,  # facebookexternalhit and iMessage
        ("preview", "Twitterbot"): 1,
        ("preview", "WhatsApp"): 1,
        ("preview", "Discordbot"): 1,
        ("preview", "LinkedInBot"): 1,
        ("preview", "TelegramBot"): 1,
    }
    # the breakdowns are human-only unless asked
    assert {row["device_type"]: row["clicks"] for row in data["device_data"]} == {
        "desktop": 1,
        "mobile": 1,
    }
    everyone = (
        await user_client.get(f"/api/v1/urls/{code}/analytics?period=24h&include_bots=true")
    ).json()["data"]
    assert everyone["total_clicks"] == 11  # the HEAD never counts
    assert {row["device_type"]: row["clicks"] for row in everyone["device_data"]} == {
        "other": 9,
        "desktop": 1,
        "mobile": 1,
    }
    assert _bots(everyone) == _bots(data)
    link = (await user_client.get(f"/api/v1/urls/{code}")).json()["data"]
    assert link["click_count"] == 2

    summary = (await user_client.get("/api/v1/analytics/summary")).json()["data"]
    assert (summary["total_clicks"], summary["bot_clicks"], summary["preview_clicks"]) == (2, 1, 8)
    assert summary["orphan_visits"] is None  # admins only
    assert ("bot", "Googlebot") in _bots(summary)


async def test_rolled_up_days_keep_robots_and_campaigns(
    user_client: httpx.AsyncClient, runtime: Runtime
) -> None:
    code = await make_link(user_client, long_url="https://example.com/?utm_campaign=spring")
    async with runtime.database.sessionmaker() as session:
        link = await runtime.links.get(session, code)
    day = 86400
    events = [
        click(link.id, 3 * day, ua=UA["googlebot"]),
        click(link.id, 3 * day, ua="Twitterbot/1.0"),
        click(link.id, 3 * day, ua=UA["desktop"]),
        click(link.id, 2 * day, ua=UA["mobile"])._replace(
            extra="utm_source=news&utm_medium=email&utm_campaign=launch"
        ),
    ]
    assert await store_events(runtime, events) == 4
    path = f"/api/v1/urls/{code}/analytics?period=7d"
    raw = (await user_client.get(path)).json()["data"]
    async with runtime.database.sessionmaker() as session:
        assert await analytics.roll_up_finished_days(session, links=10) == 1
        await session.commit()
    rolled = (await user_client.get(path)).json()["data"]
    for report in (raw, rolled):
        assert (report["total_clicks"], report["bot_clicks"], report["preview_clicks"]) == (2, 1, 1)
        assert _bots(report) == {("bot", "Googlebot"): 1, ("preview", "Twitterbot"): 1}
        utm = report["utm_data"]
        assert [(row["value"], row["clicks"]) for row in utm["source"]] == [("news", 1)]
        assert [(row["value"], row["clicks"]) for row in utm["medium"]] == [("email", 1)]
        # the request's campaign wins; without one, the destination's
        assert {row["value"]: row["clicks"] for row in utm["campaign"]} == {
            "launch": 1,
            "spring": 1,
        }
    assert raw["time_series"] == rolled["time_series"]


async def test_utm_values_of_the_redirect_and_of_the_destination(
    user_client: httpx.AsyncClient, runtime: Runtime, visit: Visit
) -> None:
    code = await make_link(
        user_client, long_url="https://example.com/p?utm_source=site&utm_medium=banner"
    )
    assert (await visit(f"/{code}?utm_source=newsletter&utm_campaign=launch")).status_code == 301
    assert (await visit(f"/{code}?utm_campaign=launch&utm_campaign=ignored")).status_code == 301
    assert (await visit(f"/{code}?ref=x")).status_code == 301
    assert (await visit(f"/{code}?utm_source=newsletter", ua=UA["googlebot"])).status_code == 301
    await runtime.clicks.drain()

    data = (await user_client.get(f"/api/v1/urls/{code}/analytics?period=24h")).json()["data"]
    utm = data["utm_data"]
    assert {row["value"]: row["clicks"] for row in utm["source"]} == {"site": 2, "newsletter": 1}
    assert {row["value"]: row["clicks"] for row in utm["medium"]} == {"banner": 3}
    assert {row["value"]: row["clicks"] for row in utm["campaign"]} == {"launch": 2}
    assert utm["campaign"][0]["percentage"] == pytest.approx(66.67)
    everyone = (
        await user_client.get(f"/api/v1/urls/{code}/analytics?period=24h&include_bots=true")
    ).json()["data"]
    assert {row["value"]: row["clicks"] for row in everyone["utm_data"]["source"]} == {
        "site": 2,
        "newsletter": 2,
    }
