"""YOURLS's actions over the links domain: shorturl, expand, url-stats, stats, db-stats, version.

Stats cover the caller's own links (an administrator's: every link). `expand` reads any
link, as its redirect would. The statuses and bodies are YOURLS 1.8's: a taken keyword is
HTTP 200 with `status: fail`, which the `yourls` client turns into its own exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.principal import Principal
from shorturl.errors import AppError, CustomAliasTaken, Forbidden, InvalidUrl, LinkNotFound
from shorturl.links import scope
from shorturl.links.codes import alias_problem, is_possible_code
from shorturl.links.models import Link
from shorturl.links.presenter import title_of
from shorturl.links.repository import LinkFilter
from shorturl.links.service import LinkService, NewLink
from shorturl.yourls.formats import Answer

__all__ = ["YOURLS_VERSION", "YourlsService"]

# The YOURLS release whose API this one answers like (a taken keyword is 200, as up to 1.8).
YOURLS_VERSION: Final = "1.8.2"
MAX_STATS: Final = 1000
_STATS_ORDER: Final = {
    "top": ("click_count", True),
    "bottom": ("click_count", False),
    "last": ("created_at", True),
    "rand": ("random", True),
    "random": ("random", True),
}
_NOT_FOUND: Final = "Error: short URL not found"


def _date(moment: datetime) -> str:
    """YOURLS's `YYYY-MM-DD HH:MM:SS`, in UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _own(principal: Principal, link: Link) -> bool:
    return principal.is_admin or link.owner_id == principal.user_id


def _failure(code: str, message: str, status: int) -> Answer:
    body = {"status": "fail", "code": code, "message": message, "errorCode": str(status)}
    return Answer(body, message)


class YourlsService:
    def __init__(self, links: LinkService) -> None:
        self.links = links
        self.base_url = links.settings.base_url
        self.host = links.settings.short_host

    def _short_url(self, link: Link) -> str:
        return f"{self.base_url}/{link.code}"

    def _title(self, link: Link) -> str:
        return title_of(link) or link.long_url

    def _stats_entry(self, link: Link) -> dict[str, Any]:
        return {
            "shorturl": self._short_url(link),
            "url": link.long_url,
            "title": self._title(link),
            "timestamp": _date(link.created_at),
            "ip": None,  # the creator's address is not kept
            "clicks": link.click_count,
        }

    async def shorturl(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> Answer:
        if not principal.can("write"):  # a GET here, but a write all the same
            return self.error(Forbidden(details="This API key is read-only"))
        url = params.get("url", "").strip()
        if url.lower() in ("", "http://", "https://"):
            return _failure("error:nourl", "Missing or malformed URL", 400)
        if (urlsplit(url).netloc or "").lower() == self.host:
            return _failure("error:noloop", "URL is a short URL", 400)
        keyword = params.get("keyword", "").strip() or None
        title = params.get("title", "").strip() or None
        if keyword is not None:
            problem = alias_problem(keyword)
            if problem is not None and "reserved" not in problem:
                return _failure("error:keyword", problem, 400)
            if problem is not None:
                return self._keyword_taken(keyword)
        new = NewLink(long_url=url, custom_alias=keyword, description=title)
        try:
            link = await self.links.create(session, new, principal)
        except CustomAliasTaken:
            return self._keyword_taken(keyword or "")
        except InvalidUrl:
            return _failure("error:nourl", "Missing or malformed URL", 400)
        except AppError as error:
            return self.error(error)
        shown = self._title(link)
        body = {
            "url": {
                "keyword": link.code,
                "url": link.long_url,
                "title": shown,
                "date": _date(link.created_at),
                "ip": None,
            },
            "status": "success",
            "message": f"{link.long_url} added to database",
            "title": shown,
            "shorturl": self._short_url(link),
            "statusCode": 200,
        }
        return Answer(body, self._short_url(link))

    @staticmethod
    def _keyword_taken(keyword: str) -> Answer:
        message = f"Short URL {keyword} already exists in database or is reserved"
        body = {"status": "fail", "code": "error:keyword", "message": message, "statusCode": 200}
        return Answer(body, message)

    def keyword_of(self, short: str) -> str:
        """The keyword of `short`: this server's full short URL, or a bare keyword."""
        short = short.strip()
        if "://" in short:
            parts = urlsplit(short)
            if (parts.netloc or "").lower() != self.host:
                return ""
            return parts.path.strip("/")
        return short.strip("/")

    async def _find(self, session: AsyncSession, keyword: str) -> Link | None:
        if not is_possible_code(keyword):
            return None
        try:
            return await self.links.get(session, keyword)
        except LinkNotFound:
            return None

    async def expand(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> Answer:
        """Any link's target (its redirect tells anyone); the title a user gave stays theirs."""
        keyword = self.keyword_of(params.get("shorturl", ""))
        link = await self._find(session, keyword)
        if link is None:
            missing = {"keyword": keyword, "message": _NOT_FOUND, "errorCode": "404"}
            return Answer(missing, "not found")
        body = {
            "keyword": link.code,
            "shorturl": self._short_url(link),
            "longurl": link.long_url,
            "title": self._title(link) if _own(principal, link) else link.title or link.long_url,
            "message": "success",
            "statusCode": 200,
        }
        return Answer(body, link.long_url)

    async def url_stats(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> Answer:
        link = await self._find(session, self.keyword_of(params.get("shorturl", "")))
        if link is None or not _own(principal, link):
            return Answer({"statusCode": 404, "message": _NOT_FOUND}, "")
        body = {"statusCode": 200, "message": "success", "link": self._stats_entry(link)}
        return Answer(body, "")

    async def stats(
        self, session: AsyncSession, principal: Principal, params: Mapping[str, str]
    ) -> Answer:
        order = _STATS_ORDER.get(params.get("filter", "top").strip().lower() or "top")
        limit, start = params.get("limit", "10").strip(), params.get("start", "0").strip()
        if order is None:
            return Answer({"errorCode": "400", "message": "filter: top, bottom, last or rand"})
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_STATS or not start.isdigit():
            message = f"limit: 1 to {MAX_STATS}; start: 0 or more"
            return Answer({"errorCode": "400", "message": message}, message)
        sort, descending = order
        found, _ = await self.links.list(
            session,
            principal,
            spec=LinkFilter(),
            sort=sort,
            descending=descending,
            limit=int(limit),
            offset=int(start),
        )
        body: dict[str, Any] = {}
        if found:  # the client reads link_1…link_<limit> only when `links` is there
            body["links"] = {
                f"link_{number}": self._stats_entry(link)
                for number, link in enumerate(found, start=1)
            }
        body["stats"] = await self._totals(session, principal)
        body.update(statusCode=200, message="success")
        return Answer(body, "")

    async def db_stats(self, session: AsyncSession, principal: Principal) -> Answer:
        body = {
            "db-stats": await self._totals(session, principal),
            "statusCode": 200,
            "message": "success",
        }
        return Answer(body, "")

    async def _totals(self, session: AsyncSession, principal: Principal) -> dict[str, int]:
        return {
            "total_links": await scope.link_count(session, principal),
            "total_clicks": await scope.human_clicks(session, principal),
        }

    @staticmethod
    def version(db_version: str | None) -> Answer:
        body = {"version": YOURLS_VERSION}
        if db_version is not None:
            body["db_version"] = db_version
        return Answer(body, YOURLS_VERSION)

    @staticmethod
    def error(error: AppError) -> Answer:
        """One of the service's errors (quota, rate limit, refused target…) as YOURLS puts it."""
        message = error.message
        if isinstance(error.details, str) and error.details:
            message = f"{message}: {error.details}"
        failure = _failure(f"error:{error.code.lower()}", message, error.status_code)
        return Answer(failure.body, failure.simple, dict(error.headers))
