"""Every query on links and tags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.links.models import Link, LinkStatus, Tag, link_tags

__all__ = ["LinkFilter", "LinkRepository"]

SORTABLE = {
    "created_at": Link.created_at,
    "updated_at": Link.updated_at,
    "click_count": Link.click_count,
    "last_clicked_at": Link.last_clicked_at,
    "expires_at": Link.expires_at,
    "code": Link.code,
}


@dataclass(frozen=True, slots=True)
class LinkFilter:
    """What a link listing selects. `owner_id=None` with `all_owners=False` means anonymous links."""

    owner_id: int | None = None
    all_owners: bool = True
    status: str | None = None
    tag: str | None = None
    query: str | None = None
    created_from: object = None
    created_to: object = None


class LinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_code(self, code: str) -> Link | None:
        return await self.session.scalar(select(Link).where(Link.code == code))

    async def code_exists(self, code: str) -> bool:
        found = await self.session.scalar(select(Link.id).where(Link.code == code))
        return found is not None

    async def insert(self, link: Link) -> bool:
        """Insert `link`; False (and nothing written) when its code is already taken."""
        try:
            async with self.session.begin_nested():
                self.session.add(link)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def tags_named(self, names: Sequence[str]) -> list[Tag]:
        """The tags with these names, created when missing."""
        if not names:
            return []
        existing = {
            tag.name: tag
            for tag in await self.session.scalars(select(Tag).where(Tag.name.in_(names)))
        }
        for name in names:
            if name not in existing:
                try:
                    async with self.session.begin_nested():
                        tag = Tag(name=name)
                        self.session.add(tag)
                        await self.session.flush()
                    existing[name] = tag
                except IntegrityError:  # created meanwhile by another request
                    found = await self.session.scalar(select(Tag).where(Tag.name == name))
                    assert found is not None
                    existing[name] = found
        return [existing[name] for name in names]

    def _filtered(self, statement: Select, spec: LinkFilter) -> Select:
        if not spec.all_owners:
            statement = statement.where(
                Link.owner_id == spec.owner_id
                if spec.owner_id is not None
                else Link.owner_id.is_(None)
            )
        if spec.status:
            statement = statement.where(Link.status == spec.status)
        else:
            statement = statement.where(Link.status != LinkStatus.DELETED)
        if spec.tag:
            statement = statement.where(
                Link.id.in_(
                    select(link_tags.c.link_id)
                    .join(Tag, Tag.id == link_tags.c.tag_id)
                    .where(Tag.name == spec.tag)
                )
            )
        if spec.query:
            pattern = (
                "%" + spec.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            statement = statement.where(
                or_(
                    Link.code.ilike(pattern, escape="\\"),
                    Link.long_url.ilike(pattern, escape="\\"),
                    Link.description.ilike(pattern, escape="\\"),
                )
            )
        if spec.created_from is not None:
            statement = statement.where(Link.created_at >= spec.created_from)
        if spec.created_to is not None:
            statement = statement.where(Link.created_at < spec.created_to)
        return statement

    async def list(
        self, spec: LinkFilter, *, sort: str, descending: bool, limit: int, offset: int
    ) -> tuple[list[Link], int]:
        """One page of links matching `spec`, and how many match in all."""
        column = SORTABLE[sort]
        order = column.desc() if descending else column.asc()
        tiebreak = Link.id.desc() if descending else Link.id.asc()
        page = (
            self._filtered(select(Link), spec).order_by(order, tiebreak).limit(limit).offset(offset)
        )
        total = await self.session.scalar(self._filtered(select(func.count(Link.id)), spec))
        return list(await self.session.scalars(page)), int(total or 0)
