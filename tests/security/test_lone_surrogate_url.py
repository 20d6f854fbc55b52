"""Attack: a URL with a lone surrogate (`\\udc80`, valid JSON, no UTF-8 form) made the URL
encoder raise, answering 500 on `/shorten` and `/api/v1/urls`."""

from __future__ import annotations

import httpx

BODY = b'{"url": "https://example.com/\\udc80", "long_url": "https://example.com/\\udc80"}'
JSON = {"Content-Type": "application/json"}


async def test_v1_answers_400_invalid_url(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/urls", content=BODY, headers=JSON)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_URL"


async def test_root_api_answers_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/shorten", content=BODY, headers=JSON)
    assert response.status_code == 400, response.text
    assert "error" in response.json()
