"""`LocalUrls`: the SDK's `client.urls` operations, run in this process on the local database.

The CLI acts either on a remote server (through `shorturl.AsyncClient`) or on the database of
`SHORTURL_DATABASE_URL` (through this); both answer with the SDK's result types and raise
its errors, so a command prints the same thing either way. Locally the caller is the
operator (an administrator) unless `as_user` names an account. Bodies are checked by the
API's own schemas, so bad input is refused with the same errors as over HTTP.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import IO, Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import OPERATOR, Principal
from shorturl.api.errors import describe_validation
from shorturl.client import models
from shorturl.client._http import NOT_GIVEN, NotGiven, wire_value
from shorturl.client.csv_transfer import (
    CsvSource,
    Progress,
    count_rows,
    merge_results,
    read_source,
    split_csv,
)
from shorturl.client.errors import ShortURLError, error_class_for
from shorturl.config import Settings
from shorturl.errors import AppError
from shorturl.links.presenter import bulk_result, link_out
from shorturl.links.repository import LinkFilter
from shorturl.links.schemas import LinkCreate, LinkUpdate
from shorturl.links.service import UNSET, LinkChanges, NewLink, RoutingChanges, plain_items
from shorturl.links.transfer import export_csv, export_total, import_entries, parse_import
from shorturl.runtime import Runtime
from shorturl.storage.db import run_after_commit

__all__ = ["LocalUrls", "checked", "local_transaction", "local_urls", "sdk_error"]

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class LocalUrls:
    """`create`, `get`, `update`, `delete`, `list_page`, `list` like `AsyncClient.urls`,
    each in a transaction of its own on the local database."""

    def __init__(self, runtime: Runtime, principal: Principal = OPERATOR) -> None:
        self.runtime = runtime
        self.principal = principal
        self.base_url = runtime.settings.base_url

    async def create(
        self,
        long_url: str,
        *,
        custom_alias: str | None = None,
        expiration_date: datetime | str | None = None,
        max_clicks: int | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        password: str | None = None,
        rules: Sequence[Any] | None = None,
        variants: Sequence[Any] | None = None,
        expired_redirect: str | None = None,
        domain: str | None = None,
    ) -> models.Link:
        body = checked(
            LinkCreate,
            {
                "long_url": long_url,
                "custom_alias": custom_alias,
                "expiration_date": expiration_date,
                "max_clicks": max_clicks,
                "description": description,
                "tags": list(tags or []),
                "password": password,
                "rules": None if rules is None else list(rules),
                "variants": None if variants is None else list(variants),
                "expired_redirect": expired_redirect,
                "domain": domain,
            },
        )
        new = NewLink.from_request(body)
        links = self.runtime.links
        return await self.transaction(
            lambda session: self._link(links.create(session, new, self.principal))
        )

    async def get(self, code: str) -> models.Link:
        links = self.runtime.links
        return await self.transaction(
            lambda session: self._link(links.get_readable(session, code, self.principal))
        )

    async def update(
        self,
        code: str,
        *,
        long_url: str | NotGiven = NOT_GIVEN,
        expiration_date: datetime | str | None | NotGiven = NOT_GIVEN,
        max_clicks: int | None | NotGiven = NOT_GIVEN,
        description: str | None | NotGiven = NOT_GIVEN,
        tags: Sequence[str] | None | NotGiven = NOT_GIVEN,
        status: str | NotGiven = NOT_GIVEN,
        password: str | None | NotGiven = NOT_GIVEN,
        rules: Sequence[Any] | None | NotGiven = NOT_GIVEN,
        variants: Sequence[Any] | None | NotGiven = NOT_GIVEN,
        expired_redirect: str | None | NotGiven = NOT_GIVEN,
    ) -> models.Link:
        given = {
            "long_url": long_url,
            "expiration_date": expiration_date,
            "max_clicks": max_clicks,
            "description": description,
            "tags": list(tags) if isinstance(tags, list | tuple) else tags,
            "status": status,
            "password": password,
            "rules": list(rules) if isinstance(rules, list | tuple) else rules,
            "variants": list(variants) if isinstance(variants, list | tuple) else variants,
            "expired_redirect": expired_redirect,
        }
        body = checked(LinkUpdate, given)
        fields = body.model_fields_set
        changes = LinkChanges(
            long_url=body.long_url if "long_url" in fields and body.long_url else UNSET,
            expires_at=body.expiration_date if "expiration_date" in fields else UNSET,
            max_clicks=body.max_clicks if "max_clicks" in fields else UNSET,
            description=body.description if "description" in fields else UNSET,
            tags=body.tags if "tags" in fields else UNSET,
            status=body.status if "status" in fields and body.status else UNSET,
            routing=RoutingChanges(
                password=body.password if "password" in fields else UNSET,
                rules=plain_items(body.rules) if "rules" in fields else UNSET,
                variants=plain_items(body.variants) if "variants" in fields else UNSET,
                expired_redirect=(body.expired_redirect if "expired_redirect" in fields else UNSET),
            ),
        )
        links = self.runtime.links
        return await self.transaction(
            lambda session: self._link(links.update(session, code, changes, self.principal))
        )

    async def delete(self, code: str) -> models.DeletedLink:
        async def work(session: AsyncSession) -> models.DeletedLink:
            link = await self.runtime.links.delete(session, code, self.principal)
            return models.DeletedLink.from_data(
                wire_value(
                    {
                        "message": "URL successfully deleted",
                        "short_code": link.code,
                        "deleted_at": link.deleted_at,
                    }
                )
            )

        return await self.transaction(work)

    async def list_page(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        status: str | None = None,
        tag: str | None = None,
        q: str | None = None,
        sort: str | None = None,
        order: str | None = None,
    ) -> models.LinkPage:
        # The operator sees every link; acting as a user, only that user's own.
        owner_id = self.principal.user_id
        spec = LinkFilter(
            owner_id=owner_id, all_owners=owner_id is None, status=status, tag=tag, query=q
        )

        async def work(session: AsyncSession) -> models.LinkPage:
            found, total = await self.runtime.links.list(
                session,
                self.principal,
                spec=spec,
                sort=sort or "created_at",
                descending=(order or "desc") == "desc",
                limit=limit,
                offset=offset,
            )
            urls = [link_out(link, self.base_url).model_dump(mode="json") for link in found]
            return models.LinkPage.from_data(
                {
                    "urls": urls,
                    "pagination": {
                        "total": total,
                        "limit": limit,
                        "offset": offset,
                        "page": offset // limit + 1,
                        "has_more": offset + len(found) < total,
                    },
                }
            )

        return await self.transaction(work)

    async def list(self, *, page_size: int = 100, **filters: Any) -> AsyncIterator[models.Link]:
        offset = 0
        while True:
            page = await self.list_page(limit=page_size, offset=offset, **filters)
            for link in page.urls:
                yield link
            if not page.pagination.has_more or not page.urls:
                return
            offset += len(page.urls)

    async def analytics(
        self,
        code: str,
        *,
        period: str = "7d",
        granularity: str = "day",
        include_bots: bool = False,
    ) -> models.LinkAnalytics:
        from shorturl.analytics import service as analytics
        from shorturl.analytics.periods import Period

        async def work(session: AsyncSession) -> models.LinkAnalytics:
            chosen = Period.parse(period, granularity)
            link = await self.runtime.links.get_readable(session, code, self.principal)
            report = await analytics.link_analytics(session, link, chosen, include_bots)
            return models.LinkAnalytics.from_data(report.model_dump(mode="json"))

        return await self.transaction(work)

    async def import_csv(
        self,
        source: CsvSource,
        *,
        keep_codes: bool = True,
        on_progress: Progress | None = None,
    ) -> models.BulkResult:
        """Like `AsyncClient.urls.import_csv`: 1,000 rows per transaction, on the bulk path."""
        parts = split_csv(read_source(source))
        total = sum(part.rows for part in parts)
        results = []
        for part in parts:

            async def work(session: AsyncSession, text: str = part.text) -> models.BulkResult:
                rows = parse_import(text.encode("utf-8"), keep_codes=keep_codes)
                outcome = await self.runtime.links.create_many(
                    session, import_entries(rows), self.principal
                )
                result = bulk_result(outcome, self.base_url, [row.row for row in rows])
                return models.BulkResult.from_data(result.model_dump(mode="json"))

            results.append((part.offset, await self.transaction(work)))
            if on_progress is not None:
                on_progress(part.offset + part.rows, total)
        return merge_results(results)

    async def export_csv(
        self,
        file: str | os.PathLike[str] | IO[str] | None = None,
        *,
        status: str | None = None,
        tag: str | None = None,
        q: str | None = None,
        on_progress: Progress | None = None,
    ) -> str | int:
        """Like `AsyncClient.urls.export_csv`; the operator exports every link, a user
        (`as_user`) their own."""
        owner_id = self.principal.user_id
        spec = LinkFilter(
            owner_id=owner_id, all_owners=owner_id is None, status=status, tag=tag, query=q
        )
        sessionmaker = self.runtime.database.sessionmaker
        total = await self.transaction(lambda session: export_total(session, spec))
        output: IO[str] = io.StringIO() if file is None else _opened_for_export(file)
        try:
            done = 0
            async for chunk in export_csv(sessionmaker, spec, self.base_url):
                output.write(chunk)
                done = min(done + count_rows(chunk), total + 1)
                if on_progress is not None:
                    on_progress(max(done - 1, 0), total)
        finally:
            if isinstance(file, str | os.PathLike):
                output.close()
        return output.getvalue() if isinstance(output, io.StringIO) and file is None else total

    async def export_clicks(
        self,
        code: str,
        file: str | os.PathLike[str] | IO[str] | None = None,
        *,
        format: str = "csv",
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        on_progress: Progress | None = None,
    ) -> str | int:
        """Like `AsyncClient.urls.export_clicks`, read from the database."""
        from shorturl.analytics import export
        from shorturl.analytics.periods import parse_range
        from shorturl.timestamps import utcnow

        form = export.parse_format(format)
        since, until = parse_range(
            start.isoformat() if isinstance(start, datetime) else start,
            end.isoformat() if isinstance(end, datetime) else end,
            utcnow(),
            default_span=export.DEFAULT_EXPORT_SPAN,
            max_span=export.MAX_EXPORT_SPAN,
        )
        links = self.runtime.links

        async def count(session: AsyncSession) -> tuple[int, int]:
            link = await links.get_readable(session, code, self.principal)
            return link.id, await export.count_clicks(session, link.id, since, until)

        link_id, total = await self.transaction(count)
        sessionmaker = self.runtime.database.sessionmaker
        output: IO[str] = io.StringIO() if file is None else _opened_for_export(file)
        try:
            lines = 0
            async for chunk in export.export_clicks(sessionmaker, link_id, since, until, form):
                output.write(chunk)
                lines += chunk.count("\n")
                if on_progress is not None:
                    on_progress(min(max(lines - (form == "csv"), 0), total), total)
        finally:
            if isinstance(file, str | os.PathLike):
                output.close()
        return output.getvalue() if isinstance(output, io.StringIO) and file is None else total

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        return await local_transaction(self.runtime, work)

    async def _link(self, pending: Awaitable[Any]) -> models.Link:
        return models.Link.from_data(link_out(await pending, self.base_url).model_dump(mode="json"))


async def local_transaction(runtime: Runtime, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in a transaction, committed (then its after-commit actions, like cache
    invalidations, run) on success; the service's errors become the SDK's."""
    async with runtime.database.sessionmaker() as session:
        try:
            result = await work(session)
            await session.commit()
        except AppError as error:
            session.info.pop("after_commit", None)
            await session.rollback()
            raise sdk_error(error) from None
        except (DBAPIError, OSError) as error:
            raise ShortURLError(
                f"the database at {runtime.database.engine.url!r} cannot be used "
                "(is it running, and set up with `shorturl db upgrade`?)",
                code="DATABASE_ERROR",
                details=str(getattr(error, "orig", None) or error).splitlines()[0],
            ) from None
        try:
            await run_after_commit(session)
        except (RedisError, OSError) as error:
            raise ShortURLError(
                "saved, but the caches could not be told: running servers may use the "
                f"old version for up to {runtime.settings.redis_cache_ttl} s",
                code="CACHE_ERROR",
                details=str(error),
            ) from None
        return result


def _opened_for_export(file: str | os.PathLike[str] | IO[str]) -> IO[str]:
    if isinstance(file, str | os.PathLike):
        return open(file, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed by caller
    return file


def checked(schema: type[M], values: dict[str, Any]) -> M:
    """`values` read by the API's schema; a ValidationError exactly as the API answers it."""
    given = {k: wire_value(v) for k, v in values.items() if not isinstance(v, NotGiven)}
    try:
        return schema.model_validate(given)
    except ValidationError as exc:
        message, problems = describe_validation(RequestValidationError(exc.errors()))
        raise error_class_for("VALIDATION_ERROR", 400)(
            message, code="VALIDATION_ERROR", status=400, details=problems
        ) from None


def sdk_error(error: AppError) -> ShortURLError:
    """A service error as the SDK would have raised it over HTTP."""
    cls = error_class_for(error.code, error.status_code)
    return cls(
        error.message,
        code=error.code,
        status=error.status_code,
        details=error.details,
        headers={k.lower(): v for k, v in error.headers.items()},
    )


@asynccontextmanager
async def local_urls(as_user: str | None = None) -> AsyncIterator[LocalUrls]:
    """`LocalUrls` on the database (and Redis, for cache invalidations) of this machine's
    settings; acting as the operator, or as the user named by `as_user`."""
    runtime = Runtime(Settings())
    try:
        principal = OPERATOR
        if as_user is not None:
            principal = await _principal_of(runtime, as_user)
        yield LocalUrls(runtime, principal)
    finally:
        await runtime.close()


async def _principal_of(runtime: Runtime, login: str) -> Principal:
    from shorturl.accounts import service as accounts

    async with runtime.database.sessionmaker() as session:
        user = await accounts.find_user(session, login)
    if user is None:
        raise error_class_for("NOT_FOUND", 404)(
            "No such user", code="NOT_FOUND", status=404, details=login
        )
    return accounts.principal_for(user)
