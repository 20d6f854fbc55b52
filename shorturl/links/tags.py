"""Tags across links: which links carry them, and renaming or deleting one everywhere (admins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.links.models import Tag
from shorturl.links.repository import LinkFilter, LinkRepository

__all__ = ["delete_tags", "link_ids", "human_clicks", "rename_tag", "tag_named", "tagged_links"]


def _scope(principal: Principal, spec: LinkFilter) -> LinkFilter:
    """`spec` limited to the caller's own links, unless the caller is an admin."""
    if principal.is_admin:
        return replace(spec, all_owners=True)
    return replace(spec, owner_id=principal.user_id, all_owners=False)


async def tagged_links(
    session: AsyncSession, principal: Principal
) -> Sequence[tuple[str, int, int]]:
    """(tag, link id, human clicks) for every tag on the caller's links (an admin's: all)."""
    return await LinkRepository(session).tagged_links(
        principal.user_id, all_owners=principal.is_admin
    )


async def link_ids(session: AsyncSession, principal: Principal, spec: LinkFilter) -> Sequence[int]:
    """Ids of the caller's links (an admin's: any link's) that match `spec`."""
    return await LinkRepository(session).ids(_scope(principal, spec))


async def human_clicks(session: AsyncSession, principal: Principal) -> int:
    """Human clicks on the caller's links (an admin's: on every link)."""
    return await LinkRepository(session).human_clicks(_scope(principal, LinkFilter()))


async def tag_named(session: AsyncSession, name: str) -> Tag | None:
    return await LinkRepository(session).tag_by_name(name)


async def rename_tag(session: AsyncSession, tag: Tag, new_name: str) -> None:
    """Rename a tag on every link that has it (the caller checked `new_name` is free)."""
    tag.name = new_name
    await session.flush()


async def delete_tags(session: AsyncSession, names: Sequence[str]) -> None:
    """Delete these tags from every link."""
    await LinkRepository(session).delete_tags(names)
