"""Attack: post bodies of tens of megabytes (with or without `Content-Length`) so that the
process reads and parses them in full, growing its memory by hundreds of megabytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.conftest import AppFactory

MB = 1024 * 1024


def assert_413(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text[:300]
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert str(f"{limit:,}") in body["error"]["message"]


async def test_a_declared_length_over_the_limit_is_refused_unread(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"long_url": "https://example.com/", "description": "' + b"x" * (2 * MB) + b'"}'
    assert_413(await client.post("/api/v1/urls", content=body), MB)


class Chunks:
    """A body streamed without Content-Length; counts how much of it was pulled."""

    def __init__(self, total: int, size: int = 64 * 1024) -> None:
        self.total, self.size, self.sent = total, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"urls": ["'
        while self.sent < self.total:
            self.sent += self.size
            yield b"x" * self.size
        yield b'"]}'


async def test_a_chunked_body_is_cut_while_it_streams(client: httpx.AsyncClient) -> None:
    chunks = Chunks(50 * MB)
    response = await client.post(
        "/api/v1/urls", content=chunks, headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_413(response, MB)
    assert chunks.sent <= MB + chunks.size  # the rest was never read


async def test_bulk_and_import_get_ten_megabytes(client: httpx.AsyncClient) -> None:
    # 2 MB passes the size check on bulk (and fails as a body, not for its size)…
    padded = b'{"urls": [], "pad": "' + b"x" * (2 * MB) + b'"}'
    response = await client.post(
        "/api/v1/urls/bulk", content=padded, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text[:300]
    # …11 MB does not, nor a chunked 50 MB import.
    huge = b'{"urls": ["' + b"x" * (11 * MB) + b'"]}'
    assert_413(await client.post("/api/v1/urls/bulk", content=huge), 10 * MB)
    chunks = Chunks(50 * MB)
    response = await client.post(
        "/api/v1/urls/import", content=chunks, headers={"Content-Type": "text/csv"}
    )
    assert_413(response, 10 * MB)
    assert chunks.sent <= 10 * MB + chunks.size


async def test_the_root_api_and_forms_are_limited_too(client: httpx.AsyncClient) -> None:
    body = b'{"url": "https://example.com/' + b"x" * (2 * MB) + b'"}'
    response = await client.post("/shorten", content=body)
    assert response.status_code == 413
    assert "too large" in response.json()["error"].lower() or "over" in response.json()["error"]
    form = await client.post("/login", content=b"login=" + b"x" * (2 * MB))
    assert form.status_code == 413


async def test_the_limit_is_a_setting(app_factory: AppFactory) -> None:
    async with app_factory(max_body_size=4096) as (_, client):
        body = b'{"long_url": "https://example.com/", "description": "' + b"x" * 5000 + b'"}'
        assert_413(await client.post("/api/v1/urls", content=body), 4096)
        ok = await client.post("/api/v1/urls", json={"long_url": "https://example.com/"})
        assert ok.status_code == 201
