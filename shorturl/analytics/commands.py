"""`shorturl stats CODE`: a link's clicks in the terminal — totals, a sparkline of clicks per
day (or hour, week, month), countries, devices, referrers, browsers and systems."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from shorturl.console.exits import run
from shorturl.console.output import console, print_json, sparkline, table
from shorturl.console.target import ApiKeyOption, ServerUrlOption, Target, open_urls

if TYPE_CHECKING:
    from shorturl.client.models import LinkAnalytics

__all__ = ["stats"]

TOP_ROWS = 5


class PeriodName(StrEnum):
    hour = "1h"
    day = "24h"
    week = "7d"
    month = "30d"
    quarter = "90d"
    year = "1y"
    all = "all"


class Granularity(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


def stats(
    code: Annotated[str, typer.Argument(help="The short code (or alias).", show_default=False)],
    period: Annotated[PeriodName, typer.Option(help="How far back.")] = PeriodName.month,
    granularity: Annotated[
        Granularity, typer.Option(help="One sparkline block per this much time.")
    ] = Granularity.day,
    include_bots: Annotated[
        bool, typer.Option("--include-bots", help="Count robots and link previews too.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")] = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Clicks of one short URL: totals, a sparkline over the period, and where they came from."""

    async def work() -> LinkAnalytics:
        async with open_urls(Target(url, api_key)) as urls:
            return await urls.analytics(
                code,
                period=period.value,
                granularity=granularity.value,
                include_bots=include_bots,
            )

    report = run(work())
    if as_json:
        print_json(report)
    else:
        show(report)


def show(report: LinkAnalytics) -> None:
    oldest_first = list(reversed(report.time_series))
    unique = "" if report.unique_clicks is None else f", {report.unique_clicks:,} unique visitors"
    console.print(
        f"[bold]{report.short_code}[/]: {report.total_clicks:,} clicks{unique} over {report.period}"
    )
    if oldest_first:
        console.print(
            f"{oldest_first[0].date} {sparkline([p.clicks for p in oldest_first])} "
            f"{oldest_first[-1].date}  (per {report.granularity}, peak "
            f"{max(p.clicks for p in oldest_first):,})"
        )
    breakdowns = (
        (
            "Countries",
            [
                (c.country_code or "??", c.country, c.clicks, c.percentage)
                for c in report.geographic_data
            ],
        ),
        ("Devices", [(d.device_type, "", d.clicks, d.percentage) for d in report.device_data]),
        ("Referrers", [(r.referrer, "", r.clicks, r.percentage) for r in report.referrer_data]),
        ("Browsers", [(b.browser, "", b.clicks, b.percentage) for b in report.browser_data]),
        ("Systems", [(o.os, "", o.clicks, o.percentage) for o in report.os_data]),
    )
    for title, rows in breakdowns:
        if rows:
            console.print(
                table(
                    (title[:-1] if title != "Countries" else "Country", "", "clicks", "%"),
                    [
                        (key, name or "", f"{clicks:,}", "" if pct is None else f"{pct:.1f}")
                        for key, name, clicks, pct in rows[:TOP_ROWS]
                    ],
                    title=title,
                )
            )
