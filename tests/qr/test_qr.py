"""QR codes: images that decode back to the short URL, their caching, and bad input."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import httpx
import pytest
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import update

from shorturl.links.models import Link
from shorturl.runtime import Runtime

SHORT_URL = "http://localhost:8080/qr-demo"


async def make_link(client: httpx.AsyncClient, alias: str = "qr-demo") -> None:
    response = await client.post(
        "/api/v1/urls", json={"long_url": "https://example.com/page", "custom_alias": alias}
    )
    assert response.status_code == 201, response.text


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def rasterize_svg(svg: bytes) -> Image.Image:
    """Draw segno's SVG (one path of horizontal runs) into pixels, 10 per module."""
    root = ElementTree.fromstring(svg)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    width = int(root.attrib["viewBox"].split()[2])
    background = root.find("svg:path[@fill]", ns)
    line = root.find("svg:path[@class='qrline']", ns)
    assert background is not None and line is not None
    scale = 10
    image = Image.new("RGB", (width * scale, width * scale), background.attrib["fill"])
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, dx, dy in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", line.attrib["d"]):
        if command == "M":
            x, y = float(dx), float(dy)
        elif command == "m":
            x, y = x + float(dx), y + float(dy)
        else:
            top, left, right = int(y - 0.5) * scale, int(x) * scale, int(x + float(dx)) * scale
            draw.rectangle((left, top, right - 1, top + scale - 1), fill=line.attrib["stroke"])
            x += float(dx)
    return image


async def test_png_decodes_to_the_short_url(client: httpx.AsyncClient) -> None:
    await make_link(client)
    response = await client.get("/api/v1/qr/qr-demo")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"] == "public, max-age=86400"
    assert response.headers["etag"].startswith('"')
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (200, 200)
    assert decode(image) == [SHORT_URL]


@pytest.mark.parametrize("size", [50, 333, 1000])
async def test_every_size_is_exact_and_readable(client: httpx.AsyncClient, size: int) -> None:
    await make_link(client)
    response = await client.get("/api/v1/qr/qr-demo", params={"size": size})
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (size, size)
    assert decode(image) == [SHORT_URL]


async def test_jpeg_with_colours_decodes(client: httpx.AsyncClient) -> None:
    await make_link(client)
    response = await client.get(
        "/api/v1/qr/qr-demo",
        params={"format": "jpg", "size": 500, "color": "#1a237e", "background": "#FFF8E1"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG" and image.size == (500, 500)
    assert decode(image) == [SHORT_URL]
    corner = image.convert("RGB").getpixel((2, 2))
    assert isinstance(corner, tuple)
    assert all(abs(a - b) <= 6 for a, b in zip(corner, (0xFF, 0xF8, 0xE1), strict=True))


async def test_svg_is_sized_coloured_and_decodes(client: httpx.AsyncClient) -> None:
    await make_link(client)
    response = await client.get(
        "/api/v1/qr/qr-demo", params={"format": "svg", "size": 300, "color": "#c00"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    root = ElementTree.fromstring(response.content)
    assert (root.attrib["width"], root.attrib["height"]) == ("300", "300")
    assert b"#c00" in response.content or b'"#cc0000"' in response.content
    assert decode(rasterize_svg(response.content)) == [SHORT_URL]


async def test_if_none_match_gives_304(client: httpx.AsyncClient) -> None:
    await make_link(client)
    first = await client.get("/api/v1/qr/qr-demo?size=300")
    etag = first.headers["etag"]
    again = await client.get("/api/v1/qr/qr-demo?size=300", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=86400"
    listed = await client.get(
        "/api/v1/qr/qr-demo?size=300", headers={"If-None-Match": f'"other", W/{etag}'}
    )
    assert listed.status_code == 304
    other = await client.get("/api/v1/qr/qr-demo?size=301", headers={"If-None-Match": etag})
    assert other.status_code == 200
    assert other.headers["etag"] != etag


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"size": 49}, "size"),
        ({"size": 1001}, "size"),
        ({"size": "big"}, "size"),
        ({"format": "gif"}, "format"),
        ({"color": "red"}, "color"),
        ({"color": "#12345"}, "color"),
        ({"background": "#GGGGGG"}, "background"),
        ({"color": "#fff", "background": "#FFFFFF"}, "background"),
        ({"color": "#0000000000"}, "color"),
    ],
)
async def test_bad_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    await make_link(client)
    response = await client.get("/api/v1/qr/qr-demo", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in str(body["error"]["details"]) + body["error"]["message"]


async def test_unknown_or_deleted_codes_have_no_qr(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    assert (await client.get("/api/v1/qr/nothing-here")).status_code == 404
    assert (await client.get("/api/v1/qr/bad%20code!")).status_code == 404
    await make_link(client, "short-lived")
    assert (await client.get("/api/v1/qr/short-lived")).status_code == 200
    # Anonymous links can only be deleted by an admin; do it in the database.
    async with runtime.database.sessionmaker() as session:
        await session.execute(update(Link).values(status="deleted"))
        await session.commit()
    await runtime.cache.invalidate("short-lived")
    response = await client.get("/api/v1/qr/short-lived")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "URL_NOT_FOUND"


async def test_qr_links_of_a_short_url(client: httpx.AsyncClient) -> None:
    await make_link(client)
    response = await client.get("/api/v1/urls/qr-demo/qr")
    assert response.status_code == 200
    data = response.json()["data"]
    base = "http://localhost:8080/api/v1/qr/qr-demo"
    assert data["qr_code_url"] == base
    assert data["download_urls"]["png_200"] == f"{base}?size=200&format=png"
    assert data["download_urls"]["png_500"] == f"{base}?size=500&format=png"
    assert data["download_urls"]["svg"] == f"{base}?format=svg"
    for url in data["download_urls"].values():
        image = await client.get(url.removeprefix("http://localhost:8080"))
        assert image.status_code == 200
        assert image.headers["content-type"].startswith("image/")
    missing = await client.get("/api/v1/urls/nothing-here/qr")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "URL_NOT_FOUND"
