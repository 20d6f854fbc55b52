"""Link lifecycle events, on which other domains hang their side effects (page metadata,
safety, webhooks): the link service calls every handler inside the transaction that made the
change, so a handler may write rows that commit with it, or defer work with `after_commit`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.links.models import Link

__all__ = ["LINK_EVENTS", "LinkEvent", "LinkEventHandler", "TargetCheck"]

LinkEvent = Literal["url.created", "url.updated", "url.deleted", "url.expired"]
LINK_EVENTS: Final[tuple[LinkEvent, ...]] = (
    "url.created",
    "url.updated",
    "url.deleted",
    "url.expired",
)

LinkEventHandler = Callable[[AsyncSession, LinkEvent, Link], Awaitable[None]]
# Checks a long URL before a link may point to it; raises an AppError (MaliciousUrl, …) to refuse.
TargetCheck = Callable[[str], Awaitable[None]]
