"""What every source reads into: `ImportedLink` (a link and its click history) and
`Batch` (the links of one page or chunk, with the cursor that comes after it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from crawlerdetect import CrawlerDetect

from shorturl.analytics.enrich import AgentFacts, describe_agent, referrer_host

__all__ = [
    "Batch",
    "ImportProblem",
    "ImportedClicks",
    "ImportedLink",
    "Source",
    "parse_time",
    "visit",
]


class ImportProblem(Exception):
    """The source as a whole cannot be read (bad file, API refusing the key): the job fails."""


@dataclass(frozen=True, slots=True)
class ImportedClicks:
    """Clicks of one moment (a visit, or a day's count) with what the source knows of them."""

    at: datetime
    clicks: int = 1
    is_bot: bool = False
    values: Mapping[str, str | None] = field(default_factory=dict)  # per rollup dimension


@dataclass(slots=True)
class ImportedLink:
    """One link as the source has it. `code` is kept; `history` are its dated clicks, and
    `total_clicks` (when the source counts more than it dates) the rest, dated `created_at`."""

    code: str
    long_url: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    max_clicks: int | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    disabled: bool = False
    history: list[ImportedClicks] = field(default_factory=list)
    total_clicks: int | None = None
    total_has_robots: bool = False  # YOURLS counts every click, Shlink's nonBots only humans

    def undated_clicks(self) -> int:
        """Clicks the source counts beyond those it dates (taken as human)."""
        if self.total_clicks is None:
            return 0
        dated = sum(
            item.clicks for item in self.history if self.total_has_robots or not item.is_bot
        )
        return max(self.total_clicks - dated, 0)


@dataclass(frozen=True, slots=True)
class Batch:
    """Links to import together, and the cursor to store once they are: resuming from it
    reads what comes after. `total` is how many links the source holds, when it says."""

    links: list[ImportedLink]
    cursor: dict[str, Any]
    total: int | None = None
    read: int = 0  # source records this batch covers (some may not become links)


class Source(Protocol):
    """An importer's reading side: batches from `cursor` on ({} = the beginning)."""

    kind: str

    def batches(self, cursor: Mapping[str, Any]) -> AsyncIterator[Batch]: ...


def parse_time(text: Any) -> datetime | None:
    """An aware UTC datetime from the formats peers use (ISO-8601 with or without an
    offset, `+0000`, `YYYY-MM-DD HH:MM:SS`, Unix seconds); None for empty or unreadable."""
    if text is None or text == "":
        return None
    if isinstance(text, int | float) or (isinstance(text, str) and text.isdigit()):
        return datetime.fromtimestamp(int(text), UTC)
    value = str(text).strip().replace("Z", "+00:00")
    if len(value) >= 5 and value[-5] in "+-" and value[-3] != ":" and "T" in value:
        value = f"{value[:-2]}:{value[-2:]}"  # Bitly's +0000
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def visit(
    at: datetime,
    *,
    user_agent: str | None = None,
    referrer: str | None = None,
    country: str | None = None,
    is_bot: bool | None = None,
) -> ImportedClicks:
    """One recorded visit, classified the way the worker classifies a live click."""
    agent = _agent(user_agent) if user_agent else None
    values: dict[str, str | None] = {
        "country": country.upper()[:2] if country else None,
        "referrer_host": referrer_host(referrer),
        "device": agent.device if agent else None,
        "browser": agent.browser if agent else None,
        "os": agent.os if agent else None,
    }
    robot = is_bot if is_bot is not None else bool(agent and agent.is_bot)
    return ImportedClicks(at, 1, robot, values)


@lru_cache(maxsize=1)
def _crawlers() -> CrawlerDetect:
    return CrawlerDetect()


@lru_cache(maxsize=4096)
def _agent(user_agent: str) -> AgentFacts:
    """Histories repeat a few agents many times: each is parsed once."""
    return describe_agent(user_agent, _crawlers())
