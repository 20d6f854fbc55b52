"""Individual visits and robot counts, for the APIs of other shorteners (shorturl/shlink, yourls)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.models import Click
from shorturl.analytics.repository import ClickFilter, ClickRepository
from shorturl.links.models import Link, LinkStatus

__all__ = ["ClickFilter", "bot_clicks", "delete_link_clicks", "visits_page"]


async def visits_page(
    session: AsyncSession, spec: ClickFilter, *, limit: int, offset: int
) -> tuple[list[Click], int]:
    """A page of the raw clicks `spec` selects, newest first, and how many there are."""
    repository = ClickRepository(session)
    return (
        await repository.visits(spec, limit=limit, offset=offset),
        await repository.count_visits(spec),
    )


async def bot_clicks(
    session: AsyncSession,
    *,
    link_ids: Sequence[int] | None = None,
    owner_id: int | None = None,
    every_link: bool = False,
) -> dict[int, int]:
    """Robot clicks per link: of `link_ids`, else of every link of `owner_id` (of every
    link at all with `every_link`); deleted links left out."""
    links: ColumnElement[bool]
    if link_ids is not None:
        links = Link.id.in_(list(link_ids))
    elif every_link:
        links = Link.status != LinkStatus.DELETED
    else:
        links = (Link.owner_id == owner_id) & (Link.status != LinkStatus.DELETED)
    if link_ids is not None and not link_ids:
        return {}
    return await ClickRepository(session).bot_clicks(links)


async def delete_link_clicks(session: AsyncSession, link: Link) -> int:
    """Forget every click of `link` (robots included); how many there were."""
    repository = ClickRepository(session)
    total, _ = await repository.totals(ClickFilter(link_ids=[link.id], include_bots=True))
    await repository.delete_clicks(link.id)
    await session.refresh(link)
    return total
