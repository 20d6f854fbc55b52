"""`shorturl stats CODE`: a link's clicks in the terminal — totals, a sparkline of clicks per
day (or hour, week, month), countries, devices, referrers, browsers and systems; and
`shorturl analytics export CODE FILE`: its raw clicks as CSV or NDJSON, with a progress bar."""

from __future__ import annotations

from enum import StrEnum
from typing import IO, TYPE_CHECKING, Annotated

import typer

from shorturl.console.exits import run
from shorturl.console.files import opened, progress_bar
from shorturl.console.output import console, print_json, sparkline, table
from shorturl.console.target import ApiKeyOption, ServerUrlOption, Target, open_urls

if TYPE_CHECKING:
    from shorturl.client.models import LinkAnalytics

__all__ = ["analytics_app", "export_clicks", "stats"]

TOP_ROWS = 5


class PeriodName(StrEnum):
    hour = "1h"
    day = "24h"
    week = "7d"
    month = "30d"
    quarter = "90d"
    year = "1y"
    all = "all"


class ClickFormat(StrEnum):
    csv = "csv"
    ndjson = "ndjson"


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


analytics_app = typer.Typer(help="Click analytics: raw click export.", no_args_is_help=True)


@analytics_app.command("export")
def export_clicks(
    code: Annotated[str, typer.Argument(help="The short code (or alias).", show_default=False)],
    path: Annotated[
        str, typer.Argument(help="The file, or - for standard output.", show_default=False)
    ],
    format: Annotated[ClickFormat, typer.Option("--format", help="File format.")] = ClickFormat.csv,
    start: Annotated[
        str | None,
        typer.Option("--from", help="A day (YYYY-MM-DD) or ISO time; default: 30 days ago."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="A day (the whole day) or ISO time; default: now.")
    ] = None,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Export the raw clicks of one short URL (oldest first; robots, previews and HEAD
    requests included, see the kind and counted columns), at most 366 days at a time."""

    async def work(output: IO[str]) -> int:
        async with open_urls(Target(url, api_key)) as urls:
            with progress_bar() as progress:
                task = progress.add_task("exporting clicks", total=None)

                def advance(done: int, total: int | None) -> None:
                    progress.update(task, completed=done, total=total)

                count = await urls.export_clicks(
                    code, output, format=format.value, start=start, end=end, on_progress=advance
                )
                return int(count)

    with opened(path, "w") as output:
        count = run(work(output))
    typer.echo(f"exported {count} click{'s' if count != 1 else ''}", err=True)
