"""Every query on links and tags."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.models import Click, ClickRollup, LinkPeriodTotal
from shorturl.links.models import DisabledBy, Link, LinkStatus, Tag, link_tags
from shorturl.storage.db import reuse_generic_plans

__all__ = ["LinkFilter", "LinkRepository"]

_LINKS_TABLE = cast(Table, Link.__table__)  # Core inserts skip the ORM's per-row bookkeeping
_IN_CHUNK = 500  # values per IN (…) list: well under every backend's parameter limit
SORTABLE = {
    "created_at": Link.created_at,
    "updated_at": Link.updated_at,
    "click_count": Link.click_count,
    "last_clicked_at": Link.last_clicked_at,
    "expires_at": Link.expires_at,
    "code": Link.code,
    "long_url": Link.long_url,
    # what the Shlink and YOURLS APIs show as a link's title (presenter.title_of)
    "title": func.coalesce(Link.description, Link.title),
    "random": func.random(),  # YOURLS's `stats` with filter=rand
}


@dataclass(frozen=True, slots=True)
class LinkFilter:
    """What a link listing selects. `owner_id=None` with `all_owners=False` means anonymous links."""

    owner_id: int | None = None
    all_owners: bool = True
    status: str | None = None
    tag: str | None = None
    query: str | None = None
    url_contains: str | None = None
    created_from: object = None
    created_to: object = None
    # Shlink's filters (shorturl/shlink): tags any/all, tags excluded, limits not reached
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    tags_excluded_any: tuple[str, ...] = ()
    tags_excluded_all: tuple[str, ...] = ()
    click_limit_not_reached: bool = False
    not_expired_at: datetime | None = None
    long_url: str | None = None  # exactly this target
    domain: str | None = None  # on this host only ('' the default domain)


class LinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_code(self, code: str, domain: str | None = None) -> Link | None:
        """The link `code` on `domain` ('' the default); with None, the default domain's,
        else the first one made on another."""
        statement = select(Link).where(Link.code == code)
        if domain is not None:
            return await self.session.scalar(statement.where(Link.domain == domain))
        return await self.session.scalar(statement.order_by(Link.domain != "", Link.id).limit(1))

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

    async def insert_many(
        self, rows: Sequence[dict[str, Any]], tag_ids: Sequence[Sequence[int]]
    ) -> list[Link] | None:
        """Insert links given as column values, with their tags, in a few multi-row statements;
        the links, in order. None (and nothing written) when any code is taken, so the caller
        can fall back to one insert per link."""
        if not rows:
            return []
        await reuse_generic_plans(self.session)  # each row's foreign keys are checked
        try:
            async with self.session.begin_nested():
                # A plain executemany (SQLite loops in C, asyncpg pipelines), then the ids by
                # code: faster on both than one INSERT … RETURNING per page of rows.
                await self.session.execute(insert(_LINKS_TABLE), rows)
                keys = [(row.get("domain", ""), row["code"]) for row in rows]
                id_of: dict[tuple[str, str], int] = {}
                for domain in dict.fromkeys(domain for domain, _ in keys):
                    codes = [code for on, code in keys if on == domain]
                    for chunk in _chunks(codes):
                        found = await self.session.execute(
                            select(Link.code, Link.id).where(
                                Link.code.in_(chunk), Link.domain == domain
                            )
                        )
                        id_of.update(((domain, code), link_id) for code, link_id in found)
                pairs = [
                    {"link_id": id_of[key], "tag_id": tag_id}
                    for key, tags in zip(keys, tag_ids, strict=True)
                    for tag_id in tags
                ]
                if pairs:
                    await self.session.execute(insert(link_tags), pairs)
        except IntegrityError:
            return None
        loaded: dict[int, Link] = {}
        for chunk in _chunks(list(id_of.values())):
            statement = select(Link).where(Link.id.in_(chunk))
            loaded.update((link.id, link) for link in await self.session.scalars(statement))
        return [loaded[id_of[key]] for key in keys]

    async def existing_codes(self, codes: Iterable[str], domain: str | None = None) -> set[str]:
        """Which of `codes` are taken (by any link, deleted ones included) on `domain`, or
        on any domain with None."""
        found: set[str] = set()
        for chunk in _chunks(list(dict.fromkeys(codes))):
            statement = select(Link.code).where(Link.code.in_(chunk))
            if domain is not None:
                statement = statement.where(Link.domain == domain)
            found.update(await self.session.scalars(statement))
        return found

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
            pattern = _like_pattern(spec.query)
            statement = statement.where(
                or_(
                    Link.code.ilike(pattern, escape="\\"),
                    Link.long_url.ilike(pattern, escape="\\"),
                    Link.description.ilike(pattern, escape="\\"),
                    Link.id.in_(
                        select(link_tags.c.link_id)
                        .join(Tag, Tag.id == link_tags.c.tag_id)
                        .where(Tag.name.ilike(pattern, escape="\\"))
                    ),
                )
            )
        if spec.url_contains:
            statement = statement.where(
                Link.long_url.ilike(_like_pattern(spec.url_contains), escape="\\")
            )
        if spec.created_from is not None:
            statement = statement.where(Link.created_at >= spec.created_from)
        if spec.created_to is not None:
            statement = statement.where(Link.created_at < spec.created_to)
        return self._filtered_more(statement, spec)

    def _filtered_more(self, statement: Select, spec: LinkFilter) -> Select:
        if spec.long_url is not None:
            statement = statement.where(Link.long_url == spec.long_url)
        if spec.domain is not None:
            statement = statement.where(Link.domain == spec.domain)
        if spec.tags_any:
            statement = statement.where(Link.id.in_(_tagged(spec.tags_any)))
        for name in spec.tags_all:
            statement = statement.where(Link.id.in_(_tagged((name,))))
        if spec.tags_excluded_any:
            statement = statement.where(Link.id.not_in(_tagged(spec.tags_excluded_any)))
        if spec.tags_excluded_all:
            having_all = (
                _tagged(spec.tags_excluded_all)
                .group_by(link_tags.c.link_id)
                .having(func.count() == len(set(spec.tags_excluded_all)))
            )
            statement = statement.where(Link.id.not_in(having_all))
        if spec.click_limit_not_reached:
            statement = statement.where(
                or_(Link.max_clicks.is_(None), Link.clicks_used < Link.max_clicks)
            )
        if spec.not_expired_at is not None:
            statement = statement.where(
                or_(Link.expires_at.is_(None), Link.expires_at > spec.not_expired_at)
            )
        return statement

    async def list(
        self, spec: LinkFilter, *, sort: str, descending: bool, limit: int, offset: int
    ) -> tuple[list[Link], int]:
        """One page of links matching `spec`, and how many match in all."""
        column = SORTABLE[sort]
        # Never-clicked links (NULL) last either way, as on SQLite, also on PostgreSQL.
        order = (column.desc() if descending else column.asc()).nulls_last()
        tiebreak = Link.id.desc() if descending else Link.id.asc()
        page = (
            self._filtered(select(Link), spec).order_by(order, tiebreak).limit(limit).offset(offset)
        )
        total = await self.session.scalar(self._filtered(select(func.count(Link.id)), spec))
        return list(await self.session.scalars(page)), int(total or 0)

    async def count(self, spec: LinkFilter) -> int:
        return int(
            await self.session.scalar(self._filtered(select(func.count(Link.id)), spec)) or 0
        )

    async def page_after(self, spec: LinkFilter, after_id: int, limit: int) -> Sequence[Link]:
        """Up to `limit` links matching `spec` with an id above `after_id`, by id (keyset
        pagination: every page costs the same, however deep)."""
        statement = (
            self._filtered(select(Link), spec)
            .where(Link.id > after_id)
            .order_by(Link.id.asc())
            .limit(limit)
        )
        return (await self.session.scalars(statement)).all()

    async def human_clicks(self, spec: LinkFilter) -> int:
        """The human clicks of every link matching `spec`, from their counters."""
        statement = select(func.coalesce(func.sum(Link.click_count), 0))
        return int(await self.session.scalar(self._filtered(statement, spec)) or 0)

    async def ids(self, spec: LinkFilter) -> Sequence[int]:
        """The ids of every link matching `spec`."""
        return (await self.session.scalars(self._filtered(select(Link.id), spec))).all()

    async def tagged_links(
        self, owner_id: int | None, *, all_owners: bool
    ) -> Sequence[tuple[str, int, int]]:
        """(tag name, link id, human clicks) for each tag on this owner's links (on every
        link with `all_owners`), deleted links left out."""
        statement = (
            select(Tag.name, Link.id, Link.click_count)
            .join(link_tags, link_tags.c.tag_id == Tag.id)
            .join(Link, Link.id == link_tags.c.link_id)
            .where(Link.status != LinkStatus.DELETED)
            .order_by(Tag.name)
        )
        if not all_owners:
            statement = statement.where(Link.owner_id == owner_id)
        return [(row[0], row[1], row[2]) for row in await self.session.execute(statement)]

    async def tag_by_name(self, name: str) -> Tag | None:
        return await self.session.scalar(select(Tag).where(Tag.name == name))

    async def delete_tags(self, names: Sequence[str]) -> None:
        """Delete these tags (and so remove them from every link)."""
        if names:
            tag_ids = select(Tag.id).where(Tag.name.in_(names))
            await self.session.execute(delete(link_tags).where(link_tags.c.tag_id.in_(tag_ids)))
            await self.session.execute(delete(Tag).where(Tag.name.in_(names)))

    async def tag_names(self, owner_id: int | None, *, all_owners: bool) -> Sequence[str]:
        """Names of the tags on this owner's links (on every link with `all_owners`)."""
        statement = (
            select(Tag.name)
            .join(link_tags, link_tags.c.tag_id == Tag.id)
            .join(Link, Link.id == link_tags.c.link_id)
            .where(Link.status != LinkStatus.DELETED)
            .distinct()
            .order_by(Tag.name)
            .limit(500)
        )
        if not all_owners:
            statement = statement.where(Link.owner_id == owner_id)
        return (await self.session.scalars(statement)).all()

    async def created_since(self, owner_id: int, since: datetime) -> int:
        """How many links this owner created from `since` on, deleted ones included."""
        found = await self.session.scalar(
            select(func.count(Link.id)).where(Link.owner_id == owner_id, Link.created_at >= since)
        )
        return int(found or 0)

    async def owner_totals(self, owner_id: int) -> tuple[int, int]:
        """(links this owner has, not deleted; clicks on all of them)."""
        row = (
            await self.session.execute(
                select(func.count(Link.id), func.coalesce(func.sum(Link.click_count), 0)).where(
                    Link.owner_id == owner_id, Link.status != LinkStatus.DELETED
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def erase_owned(self, owner_id: int, now: datetime) -> Sequence[str]:
        """Delete the clicks of this owner's links and reduce the links to tombstones that keep
        only their code (so it is never handed out again). Returns the codes."""
        owned = select(Link.id).where(Link.owner_id == owner_id).scalar_subquery()
        # Lock the links first: a worker storing clicks on them either finishes before the
        # clicks are deleted below or waits and then sees the links deleted.
        await self.session.execute(
            select(Link.id).where(Link.owner_id == owner_id).order_by(Link.id).with_for_update()
        )
        codes = (
            await self.session.scalars(select(Link.code).where(Link.owner_id == owner_id))
        ).all()
        await self.session.execute(delete(Click).where(Click.link_id.in_(owned)))
        await self.session.execute(delete(ClickRollup).where(ClickRollup.link_id.in_(owned)))
        await self.session.execute(
            delete(LinkPeriodTotal).where(LinkPeriodTotal.link_id.in_(owned))
        )
        await self.session.execute(delete(link_tags).where(link_tags.c.link_id.in_(owned)))
        await self.session.execute(
            update(Link)
            .where(Link.owner_id == owner_id)
            .values(
                owner_id=None,
                long_url="",
                description=None,
                title=None,
                page_description=None,
                image_url=None,
                status=LinkStatus.DELETED,
                deleted_at=func.coalesce(Link.deleted_at, now),
                updated_at=now,
                click_count=0,
                last_clicked_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        return codes

    def _expired(self, now: datetime) -> Select:
        return select(Link).where(
            or_(
                Link.status == LinkStatus.EXPIRED,
                (Link.status == LinkStatus.ACTIVE) & (Link.expires_at <= now),
            )
        )

    async def expired(
        self, now: datetime, *, limit: int, offset: int
    ) -> tuple[Sequence[Link], int]:
        """Links past their expiry date (marked expired or not yet), soonest expired first."""
        statement = self._expired(now)
        total = await self.session.scalar(select(func.count()).select_from(statement.subquery()))
        page = await self.session.scalars(
            statement.order_by(Link.expires_at.asc(), Link.id.asc()).limit(limit).offset(offset)
        )
        return page.all(), int(total or 0)

    async def due_to_expire(self, now: datetime, *, limit: int) -> Sequence[Link]:
        """Up to `limit` active links past their expiry date, locked for this transaction
        (PostgreSQL: rows another job holds are skipped, so two runs never mark one twice)."""
        statement = (
            select(Link)
            .where(Link.status == LinkStatus.ACTIVE, Link.expires_at <= now)
            .order_by(Link.expires_at, Link.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True, of=Link)
        return (await self.session.scalars(statement)).all()

    async def deactivate_unused(self, unused_since: datetime, now: datetime) -> Sequence[str]:
        """Disable active links neither clicked nor created since `unused_since`; their codes."""
        idle = (Link.status == LinkStatus.ACTIVE) & (
            func.coalesce(Link.last_clicked_at, Link.created_at) < unused_since
        )
        codes = (await self.session.scalars(select(Link.code).where(idle))).all()
        if codes:
            await self.session.execute(
                update(Link)
                .where(idle)
                .values(
                    status=LinkStatus.DISABLED, updated_at=now, disabled_by=DisabledBy.INACTIVITY
                )
                .execution_options(synchronize_session=False)
            )
        return codes


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _tagged(names: Sequence[str]) -> Select:
    """Ids of the links carrying any of these tags."""
    return (
        select(link_tags.c.link_id)
        .join(Tag, Tag.id == link_tags.c.tag_id)
        .where(Tag.name.in_(list(names)))
    )


def _like_pattern(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
