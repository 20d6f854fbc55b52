"""Orphan visits: requests on the short domain that matched no link — their types, the
per-minute cap, storing them (worker) and listing or counting them (admin API, dashboard).

A web process hands an orphan visit to the click tracker like a click (link 0, its
`orphan` field `[type, path, 0]`), off the request, so the worker stores it with the clicks.
Two caps keep a scanner from filling the disk: each web process passes at most
`ORPHAN_VISITS_PER_MINUTE` a minute to the tracker and only counts the rest, sending that
count with the tracker's next flush as one event `[type, None, count]`; the worker stores at
most as many a minute over every process and adds the rest, and the counts sent, to
`orphan_visit_overflow` for that minute. A count waits for the next flush (a click, or
`drain`): on an idle server it may land in a later minute. Workers storing the same minute
at once may pass the cap by a batch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.analytics.events import MAX_PATH, ClickEvent
from shorturl.analytics.models import OrphanOverflow, OrphanVisit
from shorturl.net.client_ip import UNKNOWN_CLIENT

if TYPE_CHECKING:
    from shorturl.analytics.tracker import ClickTracker

__all__ = [
    "BASE_URL",
    "INVALID_SHORT_URL",
    "ORPHAN_TYPES",
    "REGULAR_404",
    "OrphanFilter",
    "OrphanGate",
    "OrphanRepository",
    "store_orphan_visits",
]

_NO_REQUEST: Final[dict[str, Any]] = {
    "type": "http",
    "method": "GET",
    "headers": [],
    "client": (UNKNOWN_CLIENT, 0),
}
INVALID_SHORT_URL: Final = "invalid_short_url"  # `/{code}` of no link
BASE_URL: Final = "base_url"  # `/` itself
REGULAR_404: Final = "regular_404"  # any other address that does not exist
ORPHAN_TYPES: Final = (INVALID_SHORT_URL, BASE_URL, REGULAR_404)


class OrphanGate:
    """One web process's side: passes at most `per_minute` orphan visits a minute to the
    click tracker and counts the rest, for the next one passed to carry."""

    def __init__(self, tracker: ClickTracker | None, per_minute: int) -> None:
        self._tracker = tracker
        self.per_minute = per_minute
        self._minute = 0
        self._passed = 0
        self.left_out = 0  # left out and not yet counted to the worker
        self._left_out_type = REGULAR_404
        self.recorded = 0
        if tracker is not None:
            tracker.before_flush = self.send_count

    def record(self, scope: dict[str, Any], kind: str) -> None:
        """Record this request as an orphan visit of type `kind`. O(1), no I/O."""
        if self._tracker is None or self.per_minute <= 0:
            return
        minute = int(time.time() // 60)
        if minute != self._minute:
            self._minute, self._passed = minute, 0
        if self._passed >= self.per_minute:
            self.left_out += 1
            self._left_out_type = kind
            return
        self._passed += 1
        path = str(scope.get("path") or "/")[:MAX_PATH]
        self._tracker.record_orphan(scope, [kind, path, 0])
        self.recorded += 1

    def send_count(self) -> None:
        """Hand what was left out to the tracker as one count (called before each flush)."""
        if self.left_out and self._tracker is not None:
            count, self.left_out = self.left_out, 0
            self._tracker.record_orphan(_NO_REQUEST, [self._left_out_type, None, count])


@dataclass(frozen=True, slots=True)
class OrphanFilter:
    """Which orphan visits to list or count: of one type (None: all), in [since, until)."""

    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    include_bots: bool = True


class OrphanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _where(self, spec: OrphanFilter) -> list[ColumnElement[bool]]:
        conditions = []
        if spec.type is not None:
            conditions.append(OrphanVisit.type == spec.type)
        if spec.since is not None:
            conditions.append(OrphanVisit.visited_at >= spec.since)
        if spec.until is not None:
            conditions.append(OrphanVisit.visited_at < spec.until)
        if not spec.include_bots:
            conditions.append(OrphanVisit.kind == "human")
        return conditions

    async def page(self, spec: OrphanFilter, *, limit: int, offset: int) -> list[OrphanVisit]:
        """A page of orphan visits, newest first."""
        page = await self.session.scalars(
            select(OrphanVisit)
            .where(*self._where(spec))
            .order_by(OrphanVisit.visited_at.desc(), OrphanVisit.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(page.all())

    async def count(self, spec: OrphanFilter) -> int:
        """Orphan visits stored (those left out over the cap: `left_out`)."""
        statement = select(func.count()).select_from(OrphanVisit).where(*self._where(spec))
        return int(await self.session.scalar(statement) or 0)

    async def left_out(self, spec: OrphanFilter) -> int:
        """Orphan visits of any type counted but not kept, over the per-minute cap."""
        conditions = []
        if spec.since is not None:
            conditions.append(OrphanOverflow.minute >= _minute_of(spec.since))
        if spec.until is not None:
            conditions.append(OrphanOverflow.minute < spec.until)
        statement = select(func.coalesce(func.sum(OrphanOverflow.dropped), 0)).where(*conditions)
        return int(await self.session.scalar(statement) or 0)

    async def delete_all(self) -> int:
        """Delete every stored orphan visit (Shlink's DELETE /visits/orphan); how many."""
        result = await self.session.execute(delete(OrphanVisit))
        return int(getattr(result, "rowcount", 0) or 0)

    async def stored_ids(self, event_ids: Sequence[str]) -> set[str]:
        found = await self.session.scalars(
            select(OrphanVisit.event_id).where(OrphanVisit.event_id.in_(event_ids))
        )
        return set(found.all())

    async def in_minute(self, minute: datetime) -> int:
        statement = (
            select(func.count())
            .select_from(OrphanVisit)
            .where(
                OrphanVisit.visited_at >= minute,
                OrphanVisit.visited_at < minute + timedelta(minutes=1),
            )
        )
        return int(await self.session.scalar(statement) or 0)

    async def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            insert = self._insert()
            statement = insert(OrphanVisit).on_conflict_do_nothing(index_elements=["event_id"])
            await self.session.execute(statement, list(rows))

    async def add_left_out(self, minute: datetime, count: int) -> None:
        insert = self._insert()
        statement = insert(OrphanOverflow).values(minute=minute, dropped=count)
        statement = statement.on_conflict_do_update(
            index_elements=["minute"],
            set_={"dropped": OrphanOverflow.dropped + statement.excluded.dropped},
        )
        await self.session.execute(statement)

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert


async def store_orphan_visits(
    session: AsyncSession,
    events: Sequence[ClickEvent],
    rows: Sequence[dict[str, Any]],
    per_minute: int,
) -> int:
    """Store enriched orphan visits (`rows`: the enricher's click rows of `events`), at most
    `per_minute` a minute, counting the rest; how many were stored. Idempotent on the event
    id: a batch delivered twice stores and counts its stored visits once."""
    repository = OrphanRepository(session)
    already = await repository.stored_ids([event.event_id for event in events])
    by_minute: dict[datetime, list[dict[str, Any]]] = {}
    left_out: dict[datetime, int] = {}
    for event, row in zip(events, rows, strict=True):
        if event.event_id in already or event.orphan is None:
            continue
        kind, path, carried = event.orphan
        minute = _minute_of(row["clicked_at"])
        if path is None:  # a web process's count of the visits over its cap
            if isinstance(carried, int) and carried > 0:
                left_out[minute] = left_out.get(minute, 0) + carried
            continue
        by_minute.setdefault(minute, []).append(
            {
                "event_id": row["event_id"],
                "visited_at": row["clicked_at"],
                "type": kind if kind in ORPHAN_TYPES else REGULAR_404,
                "method": row["method"],
                "path": str(path)[:MAX_PATH],
                "query": event.query,
                "ip": row["ip"],
                "user_agent": row["user_agent"],
                "referrer": row["referrer"],
                "country": row["country"],
                "kind": row["kind"],
                "bot_name": row["bot_name"],
            }
        )
    stored = 0
    for minute, visits in by_minute.items():
        room = max(per_minute - await repository.in_minute(minute), 0)
        await repository.insert(visits[:room])
        stored += min(room, len(visits))
        if len(visits) > room:
            left_out[minute] = left_out.get(minute, 0) + len(visits) - room
    for minute, count in left_out.items():
        await repository.add_left_out(minute, count)
    return stored


def _minute_of(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(second=0, microsecond=0)
