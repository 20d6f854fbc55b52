"""`GET /{code}/info`: where a short link goes, without going there (seed 003)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from shorturl.api.envelope import Envelope, ok
from shorturl.errors import Forbidden
from shorturl.links.dependencies import LinkServiceDep
from shorturl.links.models import LinkStatus
from shorturl.links.schemas import SafeBrowsing
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["redirect"])


class RedirectInfo(BaseModel):
    short_code: str
    short_url: str
    long_url: str | None  # null for a disabled or unsafe link: it goes nowhere
    status: str
    title: str | None
    description: str | None
    image: str | None
    safe_browsing: SafeBrowsing


@router.get("/{code}/info", response_model=Envelope[RedirectInfo])
async def redirect_info(
    request: Request, code: str, session: SessionDep, links: LinkServiceDep
) -> Envelope[RedirectInfo]:
    """The target of a short URL and what its page says about itself."""
    link = await links.get(session, code)
    if link.password_hash is not None:
        raise Forbidden(details="This short URL is password-protected")
    # A disabled or unsafe link's target (and what its page says) is not shown: disabling a
    # phishing link must not leave a public page that names the phishing site.
    shown = link.status == LinkStatus.ACTIVE and link.is_safe
    return ok(
        request,
        RedirectInfo(
            short_code=link.code,
            short_url=links.short_url(link.code, link.domain),
            long_url=link.long_url if shown else None,
            status=link.status,
            title=link.title if shown else None,
            description=link.page_description if shown else None,
            image=link.image_url if shown else None,
            safe_browsing=SafeBrowsing(is_safe=link.is_safe, last_checked=link.safety_checked_at),
        ),
    )
