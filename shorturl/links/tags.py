"""Tags across links: which links carry them, and renaming or deleting one everywhere (admins)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.links.models import Tag
from shorturl.links.repository import LinkRepository

__all__ = ["delete_tags", "rename_tag", "tag_named", "tagged_links"]


async def tagged_links(
    session: AsyncSession, principal: Principal
) -> Sequence[tuple[str, int, int]]:
    """(tag, link id, human clicks) for every tag on the caller's links (an admin's: all)."""
    return await LinkRepository(session).tagged_links(
        principal.user_id, all_owners=principal.is_admin
    )


async def tag_named(session: AsyncSession, name: str) -> Tag | None:
    return await LinkRepository(session).tag_by_name(name)


async def rename_tag(session: AsyncSession, tag: Tag, new_name: str) -> None:
    """Rename a tag on every link that has it (the caller checked `new_name` is free)."""
    tag.name = new_name
    await session.flush()


async def delete_tags(session: AsyncSession, names: Sequence[str]) -> None:
    """Delete these tags from every link."""
    await LinkRepository(session).delete_tags(names)
