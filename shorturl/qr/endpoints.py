"""`GET /api/v1/qr/{code}` (the image) and `GET /api/v1/urls/{code}/qr` (its URLs), seed 003."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from shorturl.api.envelope import Envelope, ok
from shorturl.errors import LinkNotFound
from shorturl.links.codes import is_possible_code
from shorturl.links.dependencies import LinkDomain, LinkServiceDep
from shorturl.links.models import LinkStatus
from shorturl.links.presenter import qr_image_url
from shorturl.qr.render import FORMATS, MAX_SIZE, MIN_SIZE, QrStyle, parse_color, render_qr
from shorturl.qr.schemas import QrLinks
from shorturl.storage.db import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["qr"])

CACHE_CONTROL = "public, max-age=86400"


@router.get(
    "/qr/{code}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in FORMATS.values()}}},
)
async def qr_image(
    request: Request,
    code: str,
    size: Annotated[int, Query(ge=MIN_SIZE, le=MAX_SIZE, description="Pixels per side")] = 200,
    format: Literal["png", "svg", "jpg"] = "png",
    color: Annotated[str, Query(max_length=7, description="Foreground, hex")] = "#000000",
    background: Annotated[str, Query(max_length=7, description="Background, hex")] = "#FFFFFF",
    domain: LinkDomain = None,
) -> Response:
    """The QR code of a short URL. Cacheable for a day; answers 304 to a matching
    `If-None-Match`."""
    style = QrStyle(
        format=format,
        size=size,
        color=parse_color(color, "color"),
        background=parse_color(background, "background"),
    )
    runtime = request.app.state.runtime
    column = runtime.links.domain_column(domain)
    link = await runtime.resolver.resolve(code, column) if is_possible_code(code) else None
    if link is None or link.status == LinkStatus.DELETED:
        raise LinkNotFound(details=f"No short URL with code '{code}'")
    short_url = runtime.links.short_url(code, column)
    etag = style.etag(short_url)
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    image = await run_in_threadpool(render_qr, short_url, style)
    headers["Content-Disposition"] = f'inline; filename="{code}.{format}"'
    return Response(image.body, media_type=image.media_type, headers=headers)


@router.get("/urls/{code}/qr", response_model=Envelope[QrLinks])
async def qr_links(
    request: Request,
    code: str,
    session: SessionDep,
    links: LinkServiceDep,
    domain: LinkDomain = None,
) -> Envelope[QrLinks]:
    """Where to download the QR code of a short URL, in a few ready-made sizes and formats."""
    link = await links.get(session, code, domain)
    image_url = qr_image_url(link, links.settings.base_url)
    join = "&" if "?" in image_url else "?"
    return ok(
        request,
        QrLinks(
            qr_code_url=image_url,
            download_urls={
                "png_200": f"{image_url}{join}size=200&format=png",
                "png_500": f"{image_url}{join}size=500&format=png",
                "jpg_500": f"{image_url}{join}size=500&format=jpg",
                "svg": f"{image_url}{join}format=svg",
            },
        ),
    )


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates
