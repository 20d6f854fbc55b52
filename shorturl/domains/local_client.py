"""`LocalDomains`: the SDK's `client.domains` operations, run in this process on the local
database as the operator (the CLI's `shorturl domains …` without `--url`).

Running servers serve a change within their registry's refresh (REFRESH_SECONDS)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.client import models
from shorturl.client._http import NOT_GIVEN, NotGiven
from shorturl.config import Settings
from shorturl.domains import service
from shorturl.domains.schemas import DomainCreate, DomainOut, DomainUpdate
from shorturl.links.local_client import checked, local_transaction
from shorturl.runtime import Runtime

__all__ = ["LocalDomains", "local_domains"]


class LocalDomains:
    """`list`, `add`, `update`, `remove` like `AsyncClient.domains`, each in a transaction."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def list(self) -> list[models.Domain]:
        async def work(session: AsyncSession) -> list[models.Domain]:
            return [_domain(out) for out in await service.listed(session, self.runtime.settings)]

        return await local_transaction(self.runtime, work)

    async def add(
        self, host: str, *, root_redirect: str | None = None, not_found_redirect: str | None = None
    ) -> models.Domain:
        body = checked(
            DomainCreate,
            {
                "host": host,
                "root_redirect": root_redirect,
                "not_found_redirect": not_found_redirect,
            },
        )

        async def work(session: AsyncSession) -> models.Domain:
            runtime = self.runtime
            return _domain(await service.add(session, body, runtime.settings, runtime.domains))

        return await local_transaction(self.runtime, work)

    async def update(
        self,
        host: str,
        *,
        root_redirect: str | None | NotGiven = NOT_GIVEN,
        not_found_redirect: str | None | NotGiven = NOT_GIVEN,
    ) -> models.Domain:
        body = checked(
            DomainUpdate,
            {"root_redirect": root_redirect, "not_found_redirect": not_found_redirect},
        )

        async def work(session: AsyncSession) -> models.Domain:
            runtime = self.runtime
            domain = await service.domain_of(session, host)
            changed = await service.change(session, domain, body, runtime.settings, runtime.domains)
            return _domain(changed)

        return await local_transaction(self.runtime, work)

    async def remove(self, host: str) -> models.DomainDeleted:
        async def work(session: AsyncSession) -> models.DomainDeleted:
            domain = await service.domain_of(session, host)
            await service.remove(session, domain, self.runtime.domains)
            return models.DomainDeleted(message="Domain removed", host=domain.host)

        return await local_transaction(self.runtime, work)


def _domain(out: DomainOut) -> models.Domain:
    return models.Domain.from_data(out.model_dump(mode="json"))


@asynccontextmanager
async def local_domains() -> AsyncIterator[LocalDomains]:
    """`LocalDomains` on the database of this machine's settings."""
    runtime = Runtime(Settings())
    try:
        yield LocalDomains(runtime)
    finally:
        await runtime.close()
