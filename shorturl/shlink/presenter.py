"""How links, clicks and pages look in Shlink's API: ShortUrl, Visit, pagination, dates."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from shorturl.analytics.models import Click, OrphanVisit
from shorturl.links.models import Link, short_base
from shorturl.links.presenter import title_of
from shorturl.shlink.models import ShlinkLinkSettings

__all__ = ["atom", "pagination", "short_url_out", "summary", "visit_out"]


def atom(moment: datetime | None) -> str | None:
    """ISO-8601 with the offset, to the second (`2016-08-21T20:34:16+00:00`)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def summary(human: int, bots: int) -> dict[str, int]:
    return {"total": human + bots, "nonBots": human, "bots": bots}


def short_url_out(
    link: Link, settings: ShlinkLinkSettings | None, bots: int, base_url: str
) -> dict[str, Any]:
    return {
        "shortCode": link.code,
        "shortUrl": f"{short_base(link.domain, base_url)}/{link.code}",
        "longUrl": link.long_url,
        "dateCreated": atom(link.created_at),
        "visitsSummary": summary(link.click_count, bots),
        "tags": link.tag_names,
        "meta": {
            "validSince": atom(settings.valid_since if settings else None),
            "validUntil": atom(link.expires_at),
            "maxVisits": link.max_clicks,
        },
        "domain": link.domain or None,  # None: the default domain
        "title": title_of(link),
        "crawlable": settings.crawlable if settings else False,
        "forwardQuery": settings.forward_query if settings else True,
        "hasRedirectRules": bool(link.rules),
    }


def visit_out(click: Click, link: Link, base_url: str) -> dict[str, Any]:
    location = None
    if click.country:
        location = {
            "countryCode": click.country,
            "countryName": click.country_name,
            "regionName": click.region,
            "cityName": click.city,
            "latitude": None,
            "longitude": None,
            "timezone": None,
            "isEmpty": False,
        }
    return {
        "referer": click.referrer or "",
        "date": atom(click.clicked_at),
        "userAgent": click.user_agent or "",
        "visitLocation": location,
        "potentialBot": click.is_bot,
        "visitedUrl": f"{short_base(link.domain, base_url)}/{link.code}",
        "redirectUrl": link.long_url,
    }


def orphan_visit_out(visit: OrphanVisit, base_url: str) -> dict[str, Any]:
    """An OrphanVisit: a Visit with the `type` of the miss and no `redirectUrl`."""
    location = None
    if visit.country:
        location = {
            "countryCode": visit.country,
            "countryName": "",
            "regionName": "",
            "cityName": "",
            "latitude": None,
            "longitude": None,
            "timezone": None,
            "isEmpty": False,
        }
    return {
        "referer": visit.referrer or "",
        "date": atom(visit.visited_at),
        "userAgent": visit.user_agent or "",
        "visitLocation": location,
        "potentialBot": visit.kind != "human",
        "visitedUrl": base_url + visit.path,
        "redirectUrl": None,
        "type": visit.type,
    }


def pagination(page: int, per_page: int, shown: int, total: int) -> dict[str, int]:
    return {
        "currentPage": page,
        "pagesCount": math.ceil(total / per_page) if per_page else 0,
        "itemsPerPage": per_page,
        "itemsInCurrentPage": shown,
        "totalItems": total,
    }
