"""Adding, changing and removing short domains (admins), and reading them (anyone)."""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.config import Settings
from shorturl.domains.models import Domain
from shorturl.domains.registry import DomainRegistry
from shorturl.domains.repository import DomainRepository
from shorturl.domains.schemas import DomainCreate, DomainOut, DomainUpdate
from shorturl.errors import DomainExists, DomainInUse, NotFound, ValidationFailed
from shorturl.links.routing import validated_target
from shorturl.storage.db import after_commit

__all__ = ["add", "change", "domain_of", "host_name", "hosts", "listed", "remove"]

_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def host_name(raw: str, field: str = "host") -> str:
    """`raw` as a domains row keeps it: lower case, IDNA (punycode), `:port` kept; else
    ValidationFailed naming `field`."""
    text = raw.strip().lower().rstrip(".")
    name, _, port = text.partition(":")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    valid = (
        all(_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()  # a host name, not an IP address
        and (not port or (port.isdigit() and 0 < int(port) < 65536))
        and len(ascii_name) <= 253
    )
    if not valid:
        problem = "not a host name (like go.example.com, with :port if any)"
        raise ValidationFailed(
            f"{field}: {problem}", details=[{"field": field, "problem": problem}]
        )
    return f"{ascii_name}:{port}" if port else ascii_name


def _redirect(url: str | None, field: str, settings: Settings) -> str | None:
    return None if url is None else validated_target(url, field, settings.short_host)


async def listed(session: AsyncSession, settings: Settings) -> list[DomainOut]:
    """The default domain first, then every added one, with their link counts."""
    repository = DomainRepository(session)
    counts = await repository.link_counts()
    default = DomainOut(
        host=settings.short_host,
        is_default=True,
        root_redirect=None,
        not_found_redirect=None,
        links=counts.get("", 0),
        created_at=None,
    )
    return [
        default,
        *(_out(domain, counts.get(domain.host, 0)) for domain in await repository.all()),
    ]


async def hosts(session: AsyncSession, settings: Settings) -> list[str]:
    """Every host a link may be made on: the default domain first, then the added ones."""
    return [settings.short_host, *(domain.host for domain in await DomainRepository(session).all())]


async def domain_of(session: AsyncSession, raw: str) -> Domain:
    domain = await DomainRepository(session).get(host_name(raw))
    if domain is None:
        raise NotFound(details=f"No domain '{raw}' (the default domain cannot be changed here)")
    return domain


async def add(
    session: AsyncSession, body: DomainCreate, settings: Settings, registry: DomainRegistry
) -> DomainOut:
    host = host_name(body.host)
    if host == settings.short_host:
        raise DomainExists(details=f"'{host}' is the default domain (SHORTURL_BASE_URL)")
    domain = Domain(
        host=host,
        root_redirect=_redirect(body.root_redirect, "root_redirect", settings),
        not_found_redirect=_redirect(body.not_found_redirect, "not_found_redirect", settings),
    )
    try:
        async with session.begin_nested():
            await DomainRepository(session).add(domain)
    except IntegrityError:
        raise DomainExists(details=f"The domain '{host}' is already added") from None
    after_commit(session, registry.reload)
    return _out(domain, 0)


async def change(
    session: AsyncSession,
    domain: Domain,
    body: DomainUpdate,
    settings: Settings,
    registry: DomainRegistry,
) -> DomainOut:
    given = body.model_fields_set
    if "root_redirect" in given:
        domain.root_redirect = _redirect(body.root_redirect, "root_redirect", settings)
    if "not_found_redirect" in given:
        domain.not_found_redirect = _redirect(
            body.not_found_redirect, "not_found_redirect", settings
        )
    await session.flush()
    after_commit(session, registry.reload)
    counts = await DomainRepository(session).link_counts()
    return _out(domain, counts.get(domain.host, 0))


async def remove(session: AsyncSession, domain: Domain, registry: DomainRegistry) -> None:
    """Remove a domain no link uses (deleted links keep their codes on it): else DomainInUse."""
    repository = DomainRepository(session)
    if await repository.has_links(domain.host):
        raise DomainInUse(
            details=f"Links are on '{domain.host}' (deleted ones too): move or purge them first"
        )
    await repository.delete(domain)
    after_commit(session, registry.reload)


def _out(domain: Domain, links: int) -> DomainOut:
    return DomainOut(
        host=domain.host,
        is_default=False,
        root_redirect=domain.root_redirect,
        not_found_redirect=domain.not_found_redirect,
        links=links,
        created_at=domain.created_at,
    )
