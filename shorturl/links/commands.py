"""`shorturl links …`: create, list, show, change, delete, export and import short URLs.

Each command is thin over the `urls` operations of its target: the local database (as the
operator, through the link service) or, with `--url`/`--api-key`, a remote server through the
SDK. Both answer with the SDK's result types, so output is the same either way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from shorturl.console.exits import EXIT_CODES_HELP, ExitCode, fail, run
from shorturl.console.output import console, errors, print_json, short_time, table
from shorturl.console.target import ApiKeyOption, ServerUrlOption, Target, open_urls
from shorturl.links.csv_files import export_links, import_links
from shorturl.links.smart_options import (
    ExpiredRedirect,
    Password,
    RulesJson,
    VariantOption,
    parse_rules,
    parse_variant,
)

if TYPE_CHECKING:
    from shorturl.client.models import Link

__all__ = ["links_app", "parse_when"]

links_app = typer.Typer(
    help="Short URLs: create, list, show, update, delete, export and import (CSV). "
    "On the local database, or a remote server with --url. " + EXIT_CODES_HELP,
    no_args_is_help=True,
)


class Status(StrEnum):
    active = "active"
    expired = "expired"
    disabled = "disabled"
    deleted = "deleted"


class Sort(StrEnum):
    created_at = "created_at"
    updated_at = "updated_at"
    click_count = "click_count"
    last_clicked_at = "last_clicked_at"


class Order(StrEnum):
    asc = "asc"
    desc = "desc"


_RELATIVE = re.compile(r"(\d+)([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str) -> datetime:
    """`2030-12-31`, `2030-12-31T23:59:59Z` (naive means UTC), or from now: `12h`, `30d`, `2w`."""
    relative = _RELATIVE.fullmatch(text.strip().lower())
    if relative:
        amount, unit = int(relative[1]), _UNITS[relative[2]]
        return datetime.now(UTC) + timedelta(**{unit: amount})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date: use 2030-12-31, 2030-12-31T23:59:59Z, 12h, 30d or 2w"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
Code = Annotated[str, typer.Argument(help="The short code (or alias).", show_default=False)]
Owner = Annotated[
    str | None,
    typer.Option(
        help="Local database only: act as this user (email, username or id) — the link is "
        "theirs, and a listing shows only theirs.",
        show_default=False,
    ),
]
When = Annotated[
    datetime | None,
    typer.Option(
        "--expires",
        parser=parse_when,
        metavar="WHEN",
        help="Expiry: 2030-12-31, 2030-12-31T23:59:59Z, or from now: 12h, 30d, 2w.",
        show_default=False,
    ),
]
Tags = Annotated[
    list[str] | None,
    typer.Option("--tag", "-t", help="A tag (repeat for more).", show_default=False),
]


def _show(link: Link) -> None:
    rows = [
        ("short URL", link.short_url),
        ("target", link.long_url),
        ("status", link.status),
        ("clicks", link.click_count),
        ("last click", short_time(link.last_clicked_at) or "never"),
        ("max clicks", link.max_clicks or "no limit"),
        ("expires", short_time(link.expiration_date) or "never"),
        ("description", link.description or ""),
        ("tags", ", ".join(link.tags)),
        ("owner", link.owner.username if link.owner else "anonymous"),
        ("password", "yes" if link.password_protected else "no"),
        ("rules", len(link.rules or ())),
        (
            "variants",
            ", ".join(f"{v['weight']}:{v['long_url']}" for v in link.variants or ()) or "none",
        ),
        ("when expired", link.expired_redirect or "410 Gone"),
        ("created", short_time(link.created_at)),
        ("updated", short_time(link.updated_at)),
    ]
    console.print(table(("", ""), rows, title=link.short_code))


@links_app.command("create")
def create(
    long_url: Annotated[str, typer.Argument(help="The URL to shorten (http or https).")],
    alias: Annotated[
        str | None, typer.Option("--alias", "-a", help="Custom alias (3–64 of A-Z a-z 0-9 - _).")
    ] = None,
    expires: When = None,
    max_clicks: Annotated[
        int | None, typer.Option(min=1, help="Stop redirecting after this many clicks.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="A note for yourself.")] = None,
    tags: Tags = None,
    password: Password = None,
    rules: RulesJson = None,
    variants: VariantOption = None,
    expired_redirect: ExpiredRedirect = None,
    domain: Annotated[
        str | None,
        typer.Option(help="One of the server's short domains (GET /api/v1/domains)."),
    ] = None,
    owner: Owner = None,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Create a short URL and print it (the whole link with --json)."""
    rule_list = parse_rules(rules) if rules is not None else None
    variant_list = [parse_variant(v) for v in variants] if variants else None

    async def work() -> Link:
        async with open_urls(Target(url, api_key), as_user=owner) as urls:
            return await urls.create(
                long_url,
                custom_alias=alias,
                expiration_date=expires,
                max_clicks=max_clicks,
                description=description,
                tags=tags or [],
                password=password,
                rules=rule_list,
                variants=variant_list,
                expired_redirect=expired_redirect,
                domain=domain,
            )

    link = run(work())
    if as_json:
        print_json(link)
    else:
        print(link.short_url)
    if link.status == "expired":
        errors.print("The expiry date has passed: this link is expired already.")


@links_app.command("list")
def list_links(
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Part of the code, URL or description.")
    ] = None,
    status: Annotated[Status | None, typer.Option(help="Only links in this state.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only links with this tag.")] = None,
    sort: Annotated[Sort, typer.Option(help="Sort by.")] = Sort.created_at,
    order: Annotated[Order, typer.Option(help="Sort order.")] = Order.desc,
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="How many to skip.")] = 0,
    every: Annotated[
        bool, typer.Option("--all", help="Every matching link (ignores --limit/--offset).")
    ] = False,
    owner: Owner = None,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """List short URLs (the operator's view: all of them; remotely: the API key's own, or
    all for an admin) with search, filters and sort, as a table or --json."""
    filters: dict[str, Any] = {
        "status": status.value if status else None,
        "tag": tag,
        "q": search,
        "sort": sort.value,
        "order": order.value,
    }

    async def work() -> tuple[list[Link], int]:
        async with open_urls(Target(url, api_key), as_user=owner) as urls:
            if every:
                found = [link async for link in urls.list(page_size=100, **filters)]
                return found, len(found)
            page = await urls.list_page(limit=limit, offset=offset, **filters)
            return page.urls, page.pagination.total

    found, total = run(work())
    if as_json:
        print_json(found)
        return
    rows = [
        (
            link.short_code,
            link.long_url,
            link.click_count,
            link.status,
            ", ".join(link.tags),
            short_time(link.created_at),
            short_time(link.expiration_date),
        )
        for link in found
    ]
    columns = ("code", "target", "clicks", "status", "tags", "created", "expires")
    console.print(table(columns, rows))
    if every or not found:
        console.print(f"{len(found)} link{'s' if len(found) != 1 else ''}")
    else:
        last = offset + len(found)
        more = f"; --offset {last} for more" if last < total else ""
        console.print(f"{offset + 1}–{last} of {total}{more}")


@links_app.command("show")
def show(
    code: Code,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Show one short URL: target, status, clicks, expiry, tags, owner."""

    async def work() -> Link:
        async with open_urls(Target(url, api_key)) as urls:
            return await urls.get(code)

    link = run(work())
    if as_json:
        print_json(link)
    else:
        _show(link)


@links_app.command("update")
def update(
    code: Code,
    long_url: Annotated[str | None, typer.Option(help="New target URL.")] = None,
    expires: When = None,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="Never expire.")] = False,
    max_clicks: Annotated[int | None, typer.Option(min=1, help="New click limit.")] = None,
    no_max_clicks: Annotated[
        bool, typer.Option("--no-max-clicks", help="Remove the click limit.")
    ] = False,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    no_description: Annotated[
        bool, typer.Option("--no-description", help="Remove the description.")
    ] = False,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", help="Replace the tags with these (repeat).", show_default=False
        ),
    ] = None,
    no_tags: Annotated[bool, typer.Option("--no-tags", help="Remove every tag.")] = False,
    enable: Annotated[
        bool | None,
        typer.Option("--enable/--disable", help="Turn the link on or off.", show_default=False),
    ] = None,
    password: Password = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="Remove the password.")
    ] = False,
    rules: RulesJson = None,
    no_rules: Annotated[bool, typer.Option("--no-rules", help="Remove every rule.")] = False,
    variants: VariantOption = None,
    no_variants: Annotated[bool, typer.Option("--no-variants", help="End the A/B test.")] = False,
    expired_redirect: ExpiredRedirect = None,
    no_expired_redirect: Annotated[
        bool, typer.Option("--no-expired-redirect", help="Expired: 410 Gone again.")
    ] = False,
    as_json: AsJson = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Change a short URL; what is not given stays as it is."""
    changes: dict[str, Any] = {}
    for given, clear, name, value in (
        (expires is not None, no_expiry, "expiration_date", expires),
        (max_clicks is not None, no_max_clicks, "max_clicks", max_clicks),
        (description is not None, no_description, "description", description),
        (tags is not None, no_tags, "tags", tags),
        (password is not None, no_password, "password", password),
        (rules is not None, no_rules, "rules", parse_rules(rules) if rules else None),
        (
            bool(variants),
            no_variants,
            "variants",
            [parse_variant(v) for v in variants or ()],
        ),
        (expired_redirect is not None, no_expired_redirect, "expired_redirect", expired_redirect),
    ):
        if given and clear:
            fail(f"{name}: give a new value or remove it, not both", ExitCode.USAGE)
        if given or clear:
            changes[name] = [] if clear and name == "tags" else (None if clear else value)
    if long_url is not None:
        changes["long_url"] = long_url
    if enable is not None:
        changes["status"] = "active" if enable else "disabled"
    if not changes:
        fail("nothing to change: see shorturl links update --help", ExitCode.USAGE)

    async def work() -> Link:
        async with open_urls(Target(url, api_key)) as urls:
            return await urls.update(code, **changes)

    link = run(work())
    if as_json:
        print_json(link)
    else:
        _show(link)


@links_app.command("delete")
def delete(
    code: Code,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    url: ServerUrlOption = None,
    api_key: ApiKeyOption = None,
) -> None:
    """Delete a short URL: it stops redirecting, and its code is never handed out again."""
    if not yes:
        typer.confirm(f"Delete {code}? Its code can never be used again", abort=True)

    async def work() -> str:
        async with open_urls(Target(url, api_key)) as urls:
            return (await urls.delete(code)).short_code

    typer.echo(f"deleted {run(work())}")


links_app.command("export")(export_links)
links_app.command("import")(import_links)
