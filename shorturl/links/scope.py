"""Queries over the links a caller sees: their own, or every link for an administrator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.links.repository import LinkFilter, LinkRepository

__all__ = ["human_clicks", "link_count", "link_ids", "scoped"]


def scoped(principal: Principal, spec: LinkFilter) -> LinkFilter:
    """`spec` limited to the caller's own links, unless the caller is an admin."""
    if principal.is_admin:
        return replace(spec, all_owners=True)
    return replace(spec, owner_id=principal.user_id, all_owners=False)


async def link_ids(session: AsyncSession, principal: Principal, spec: LinkFilter) -> Sequence[int]:
    """Ids of the caller's links (an admin's: any link's) that match `spec`."""
    return await LinkRepository(session).ids(scoped(principal, spec))


async def human_clicks(session: AsyncSession, principal: Principal) -> int:
    """Human clicks on the caller's links (an admin's: on every link), deleted ones aside."""
    return await LinkRepository(session).human_clicks(scoped(principal, LinkFilter()))


async def link_count(session: AsyncSession, principal: Principal) -> int:
    """How many links the caller has (an admin: how many there are), deleted ones aside."""
    return await LinkRepository(session).count(scoped(principal, LinkFilter()))
