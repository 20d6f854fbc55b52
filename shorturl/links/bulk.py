"""Bulk creation (`POST /urls/bulk`, CSV import): many links in one transaction, each created
or failed on its own.

Everything is validated first (URL, alias, expiry, duplicates inside the batch, target
checks, the monthly quota, aliases already taken), then the survivors are written in a few
multi-row statements. Only when that insert meets a clash (a concurrent request took a code
meanwhile) does it fall back to one insert per link, so 1,000 links cost a handful of round
trips, not 1,000.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.errors import (
    AppError,
    CustomAliasTaken,
    InvalidUrl,
    RateLimited,
    UrlNotAccessible,
    ValidationFailed,
)
from shorturl.links.codes import generate_code, generate_codes
from shorturl.links.models import Link, LinkStatus, Tag
from shorturl.links.repository import LinkRepository
from shorturl.links.schemas import LinkCreate
from shorturl.storage.db import after_commit
from shorturl.timestamps import is_past, utcnow

if TYPE_CHECKING:
    from shorturl.links.service import LinkService, NewLink

__all__ = [
    "MAX_BULK_ITEMS",
    "BulkEntry",
    "BulkFailure",
    "BulkOutcome",
    "create_many",
    "entry_from",
]

MAX_BULK_ITEMS: Final = 1_000
_CHECK_CONCURRENCY: Final = 16  # URLs whose target checks (block list, reachability) overlap
# With reachability on, a batch of dead hosts would otherwise take minutes (1,000 × timeout
# / 16): items whose checks have not finished by then fail, and can be sent again.
CHECKS_BUDGET_SECONDS = 30.0


@dataclass(slots=True)
class BulkEntry:
    """One item of a batch: what to create, or why it cannot even be read."""

    index: int
    new: NewLink | None
    error: AppError | None = None
    raw_url: str | None = None  # as given, for reporting a failure
    disabled: bool = False  # an imported link that was disabled where it came from
    # An imported code, kept as it was (imports/): any shape a code may have, not only an
    # alias's (YOURLS hands out 1- and 2-character codes). The importer checks it.
    kept_code: bool = False


@dataclass(slots=True)
class BulkFailure:
    index: int
    long_url: str | None
    custom_alias: str | None
    error: AppError


@dataclass(slots=True)
class BulkOutcome:
    total: int
    created: list[tuple[int, Link]] = field(default_factory=list)
    failed: list[BulkFailure] = field(default_factory=list)


def entry_from(index: int, item: Any, *, disabled: bool = False) -> BulkEntry:
    """A batch entry from one item of a request (a dict like `POST /urls` takes, or a URL)."""
    from shorturl.api.errors import describe_validation
    from shorturl.links.service import NewLink

    if isinstance(item, str):
        item = {"long_url": item}
    raw_url = _raw_url(item)
    try:
        body = LinkCreate.model_validate(item)
    except ValidationError as exc:
        from fastapi.exceptions import RequestValidationError

        message, problems = describe_validation(RequestValidationError(exc.errors()))
        return BulkEntry(index, None, ValidationFailed(message, details=problems), raw_url)
    new = NewLink.from_request(body)
    return BulkEntry(index, new, None, body.long_url, disabled)


@dataclass(slots=True)
class _Pending:
    """An item that passed the checks so far."""

    entry: BulkEntry
    new: NewLink
    long_url: str
    expires_at: datetime | None
    domain: str = ""  # links.domain: '' the default domain
    checked_at: datetime | None = None


_Fail = Callable[[BulkEntry, AppError], None]


async def create_many(
    service: LinkService,
    session: AsyncSession,
    entries: Sequence[BulkEntry],
    principal: Principal,
    *,
    allowed: int | None = None,
) -> BulkOutcome:
    """Create the links of `entries` for `principal`. Entries at index `allowed` or later fail
    with RATE_LIMITED (the caller counted only that many against the hourly limit)."""
    outcome = BulkOutcome(total=len(entries))

    def fail(entry: BulkEntry, error: AppError) -> None:
        alias = entry.new.custom_alias if entry.new else None
        outcome.failed.append(BulkFailure(entry.index, entry.raw_url, alias, error))

    repository = LinkRepository(session)
    pending = _validated(service, entries, allowed, fail)
    pending = await _on_known_domains(service, session, pending, fail)
    pending = await _checked_targets(service, pending, fail)
    pending = await _within_quota(service, session, principal, pending, fail)
    pending = await _aliases_free(repository, pending, fail)
    links = await _write(service, repository, pending, principal, fail)
    for item, link in zip(pending, links, strict=True):
        if link is not None:
            outcome.created.append((item.entry.index, link))
            await service.emit(session, "url.created", link)
            if link.status == LinkStatus.EXPIRED:  # made with a date already past
                await service.emit(session, "url.expired", link)
    codes = [link.cache_key for _, link in outcome.created]

    async def invalidate() -> None:
        # A lookup of these codes before they existed may have cached "not found".
        await service.cache.invalidate(*codes)

    if codes:
        after_commit(session, invalidate)
    outcome.failed.sort(key=lambda failure: failure.index)
    return outcome


def _validated(
    service: LinkService, entries: Sequence[BulkEntry], allowed: int | None, fail: _Fail
) -> list[_Pending]:
    """The entries that are well-formed, within the hourly allowance, and whose alias no
    earlier item of the batch has."""
    pending: list[_Pending] = []
    aliases_seen: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.new is None:
            fail(entry, entry.error or InvalidUrl())
            continue
        if allowed is not None and entry.index >= allowed:
            fail(entry, RateLimited(details="The hourly creation limit was reached mid-batch"))
            continue
        try:
            new = replace(entry.new, custom_alias=None) if entry.kept_code else entry.new
            long_url, expires_at = service.validate_new(new)
            domain = service.domain_column(entry.new.domain)
        except AppError as error:
            fail(entry, error)
            continue
        alias = entry.new.custom_alias
        if alias is not None:
            if (domain, alias) in aliases_seen:
                fail(entry, CustomAliasTaken(details=f"'{alias}' is used by an earlier item"))
                continue
            aliases_seen.add((domain, alias))
        pending.append(_Pending(entry, entry.new, long_url, expires_at, domain))
    return pending


async def _on_known_domains(
    service: LinkService, session: AsyncSession, pending: list[_Pending], fail: _Fail
) -> list[_Pending]:
    """The items on the default domain or an added one: one lookup per domain named."""
    refused: dict[str, AppError] = {}
    for domain in {item.domain for item in pending} - {""}:
        try:
            await service.domain_for(session, domain)
        except AppError as error:
            refused[domain] = error
    kept = []
    for item in pending:
        if item.domain in refused:
            fail(item.entry, refused[item.domain])
        else:
            kept.append(item)
    return kept


async def _within_quota(
    service: LinkService,
    session: AsyncSession,
    principal: Principal,
    pending: list[_Pending],
    fail: _Fail,
) -> list[_Pending]:
    """The first items, as many as the monthly quota has room for."""
    from shorturl.links.service import quota_exceeded

    room = await service.quota_room(session, principal)
    if room is None or len(pending) <= room:
        return pending
    for item in pending[room:]:
        fail(item.entry, quota_exceeded(principal))
    return pending[:room]


async def _aliases_free(
    repository: LinkRepository, pending: list[_Pending], fail: _Fail
) -> list[_Pending]:
    """The items whose alias (if any) no link on their domain has yet: one query a domain."""
    aliases: dict[str, list[str]] = {}
    for item in pending:
        if item.new.custom_alias is not None:
            aliases.setdefault(item.domain, []).append(item.new.custom_alias)
    taken = {
        (domain, code)
        for domain, codes in aliases.items()
        for code in await repository.existing_codes(codes, domain=domain)
    }
    free = []
    for item in pending:
        alias = item.new.custom_alias
        if alias is not None and (item.domain, alias) in taken:
            fail(item.entry, CustomAliasTaken(details=f"The alias '{alias}' is already in use"))
        else:
            free.append(item)
    return free


async def _write(
    service: LinkService,
    repository: LinkRepository,
    pending: list[_Pending],
    principal: Principal,
    fail: _Fail,
) -> Sequence[Link | None]:
    """Insert the links (None for an item that failed on the slow road)."""
    from shorturl.links.service import unique_names

    names = unique_names([name for item in pending for name in item.new.tags])
    tags = {tag.name: tag for tag in await repository.tags_named(names)}
    now = utcnow()
    rows = [_row(item, principal, now) for item in pending]
    await _assign_random_codes(repository, rows, service.settings.code_length)
    tag_lists = [[tags[name] for name in unique_names(item.new.tags)] for item in pending]
    links = await repository.insert_many(
        rows, [[tag.id for tag in tag_list] for tag_list in tag_lists]
    )
    if links is None:  # a clash with a concurrent request: the slow road
        return await _insert_one_by_one(repository, pending, rows, tag_lists, fail, service)
    return links


async def _checked_targets(
    service: LinkService, pending: list[_Pending], fail: _Fail
) -> list[_Pending]:
    """Run the target checks once per distinct URL, a few at a time; drop the refused."""
    if not service.target_checks:
        return pending
    urls = iter(dict.fromkeys(item.long_url for item in pending))
    results: dict[str, datetime | AppError | None] = {}

    async def checker() -> None:
        # A few of these share the URLs: no task per URL, and slow checks (reachability)
        # still overlap.
        for url in urls:
            try:
                results[url] = await service.check_target(url)
            except AppError as error:
                results[url] = error

    with contextlib.suppress(TimeoutError):  # what was not checked in time fails below
        await asyncio.wait_for(
            asyncio.gather(*(checker() for _ in range(_CHECK_CONCURRENCY))),
            CHECKS_BUDGET_SECONDS,
        )
    out_of_time = UrlNotAccessible(
        details=f"Not checked: this batch's target checks took over {CHECKS_BUDGET_SECONDS:g} "
        "s; send this item again"
    )
    kept = []
    for item in pending:
        result = results.get(item.long_url, out_of_time)
        if isinstance(result, AppError):
            fail(item.entry, result)
        else:
            item.checked_at = result
            kept.append(item)
    return kept


def _status(item: _Pending) -> str:
    if item.entry.disabled:
        return LinkStatus.DISABLED
    return LinkStatus.EXPIRED if is_past(item.expires_at) else LinkStatus.ACTIVE


def _row(item: _Pending, principal: Principal, now: datetime) -> dict[str, Any]:
    """The column values of one new link (its code, when random, comes later)."""
    alias = item.new.custom_alias
    return {
        "code": alias,
        "domain": item.domain,
        "is_custom": alias is not None,
        "long_url": item.long_url,
        "owner_id": principal.user_id,
        "description": item.new.description,
        "status": _status(item),
        "created_at": now,
        "updated_at": now,
        "expires_at": item.expires_at,
        "max_clicks": item.new.max_clicks,
        "click_count": 0,
        "clicks_used": 0,
        "is_safe": True,
        "safety_checked_at": item.checked_at,
    }


async def _assign_random_codes(
    repository: LinkRepository, rows: list[dict[str, Any]], length: int
) -> None:
    """Fresh codes for the links without an alias: unique in the batch and, as far as one
    query can tell, in the database."""
    needing = [row for row in rows if not row["is_custom"]]
    used = {row["code"] for row in rows if row["is_custom"]}
    while needing:
        for row, code in zip(needing, generate_codes(length, len(needing)), strict=True):
            while code in used:
                code = generate_code(length)
            row["code"] = code
            used.add(code)
        taken = await repository.existing_codes(row["code"] for row in needing)
        needing = [row for row in needing if row["code"] in taken]


async def _insert_one_by_one(
    repository: LinkRepository,
    survivors: list[_Pending],
    rows: list[dict[str, Any]],
    tag_lists: list[list[Tag]],
    fail: _Fail,
    service: LinkService,
) -> list[Link | None]:
    """Each link in its own savepoint: a taken alias fails its item, a taken random code is
    drawn again. None for the items that failed."""
    from shorturl.links.service import MAX_CODE_ATTEMPTS

    links: list[Link | None] = []
    for item, row, tag_list in zip(survivors, rows, tag_lists, strict=True):
        link = Link(**row, tags=tag_list)
        if link.is_custom:
            if await repository.insert(link):
                links.append(link)
            else:
                alias = link.code
                fail(item.entry, CustomAliasTaken(details=f"The alias '{alias}' is already in use"))
                links.append(None)
            continue
        for _ in range(MAX_CODE_ATTEMPTS):
            if await repository.insert(link):
                links.append(link)
                break
            link.code = generate_code(service.settings.code_length)
        else:  # pragma: no cover - needs ~1e12 links at the default length
            fail(item.entry, ValidationFailed("Could not allocate a free code"))
            links.append(None)
    return links


def _raw_url(item: Any) -> str | None:
    if isinstance(item, Mapping):
        value = item.get("long_url", item.get("url"))
        return value if isinstance(value, str) else None
    return None
