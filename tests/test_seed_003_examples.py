"""Every request example of seed 003 (the API v1 contract), replayed against the API in both
modes, and each answer checked against the response the seed shows for it.

The examples are read from `tests/seeds/003_api_design.txt`, a verbatim copy of the seed
(checked against shared/seeds/003_* when that folder is beside the repository). Paths are
under `/api/v1` (the seed's `https://api.shorturl.com/v1`), `{short_code}` is the code the
create example made. The `/user/*` examples carry a fresh sign-in's Bearer token (the
seed's profile change has no password in its body: a sign-in of the last minutes stands in
for it, docs/security.md); every other request carries the seed's recommended `X-API-Key`.
The bodies are sent as the seed writes them, its 2024 expiry date included.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "tests" / "seeds" / "003_api_design.txt"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
PAST_EXPIRY = "2024-12-31T23:59:59Z"  # the seed's, written in 2024; now in the past


@dataclass(frozen=True)
class Example:
    method: str
    path: str
    body: Any
    response: Any  # the seed's response JSON, None when it shows none (or not JSON)


def seed_examples(text: str) -> list[Example]:
    """Each ```http request block of the seed, with the request body and the response that
    follow it before the next request."""
    examples = []
    sections = text.split("```http\n")[1:]
    for section in sections:
        request_line = section.split("\n", 1)[0]
        if request_line.startswith("HTTP/"):  # the redirect's response, not a request
            continue
        method, path = request_line.split(" ", 1)
        body = re.search(r"\*\*Request Body:\*\*\n```json\n(.*?)```", section, re.S)
        response = re.search(r"\*\*Response:\*\*\n```json\n(.*?)```", section, re.S)
        examples.append(
            Example(
                method,
                path,
                json.loads(body[1]) if body else None,
                json.loads(response[1]) if response else None,
            )
        )
    return examples


EXAMPLES = seed_examples(SEED.read_text())


def test_the_copy_is_the_seed_and_every_example_is_found() -> None:
    assert [f"{e.method} {e.path.split('?')[0]}" for e in EXAMPLES] == [
        "POST /urls",
        "GET /urls/{short_code}",
        "PUT /urls/{short_code}",
        "DELETE /urls/{short_code}",
        "GET /urls",
        "GET /{short_code}",
        "GET /{short_code}/info",
        "GET /urls/{short_code}/analytics",
        "GET /analytics/summary",
        "GET /qr/{short_code}",
        "GET /urls/{short_code}/qr",
        "GET /user/profile",
        "PUT /user/profile",
        "GET /user/api-keys",
        "POST /user/api-keys",
        "POST /urls/bulk",
        "POST /webhooks",
    ]
    copies = sorted(SHARED_SEEDS.glob("003_*.txt"))
    if not copies:
        pytest.skip(f"no shared/seeds beside the repository ({SHARED_SEEDS}) to compare with")
    assert copies[0].read_text() == SEED.read_text()


def missing_keys(seed: Any, ours: Any, prefix: str = "") -> list[str]:
    """Keys the seed shows that our answer lacks: `a.b`, `list[].c` (lists by their first
    item, where both have one)."""
    if isinstance(seed, dict):
        if not isinstance(ours, dict):
            return [prefix or "."]
        missing = []
        for key, item in seed.items():
            if key not in ours:
                missing.append(f"{prefix}{key}")
            else:
                missing += missing_keys(item, ours[key], f"{prefix}{key}.")
        return missing
    if isinstance(seed, list) and seed and isinstance(ours, list) and ours:
        return missing_keys(seed[0], ours[0], prefix[:-1] + "[].")
    return []


def runs_later(example: Example) -> int:
    """Replay order: the create first and the delete last, as a user would."""
    return {"POST /urls": 0, "DELETE /urls/{short_code}": 2}.get(
        f"{example.method} {example.path}", 1
    )


async def test_every_request_example_runs_and_answers_what_the_seed_shows(
    client: httpx.AsyncClient, account: Account
) -> None:
    made = await client.post("/api/v1/user/api-keys", headers=account.headers, json={"name": "k"})
    headers = {"X-API-Key": made.json()["data"]["key"]}
    code = "my-custom-link"
    for example in sorted(EXAMPLES, key=runs_later):
        path = example.path.replace("{short_code}", code)
        url = path if path.startswith(f"/{code}") else f"/api/v1{path}"
        auth = account.headers if path.startswith("/user/") else headers
        response = await client.request(example.method, url, headers=auth, json=example.body)
        where = f"{example.method} {example.path}"
        if example.path == "/{short_code}":  # the redirect
            # The seed's expiry (2024-12-31) has passed: its link was made, and kept through
            # the update, as expired, so its short URL answers 410 Gone.
            assert response.status_code == 410, (where, response.text)
            assert response.headers["cache-control"] == "no-store"
            continue
        # The seed gives no statuses: a creation is 201, a bulk one 200 (each item has its own).
        assert response.status_code in ((200, 201) if example.method == "POST" else (200,)), (
            where,
            response.text,
        )
        if example.path.startswith("/qr/"):
            assert response.headers["content-type"] == "image/png", where
            assert response.content.startswith(b"\x89PNG"), where
            continue
        answer = response.json()
        assert answer["success"] is True, where
        assert {"timestamp", "request_id"} <= set(answer["meta"]), where
        if example.response is not None:
            missing = missing_keys(example.response["data"], answer["data"])
            assert not missing, (where, missing, answer["data"])
        if example.body is not None and example.method == "POST" and example.path == "/urls":
            assert answer["data"]["short_code"] == code
            assert answer["data"]["tags"] == sorted(example.body["tags"])
            assert answer["data"]["expiration_date"] == PAST_EXPIRY
            assert answer["data"]["status"] == "expired"
        if example.method == "PUT" and example.path == "/urls/{short_code}":
            assert answer["data"]["long_url"] == example.body["long_url"]
            assert answer["data"]["status"] == "expired"  # its date has passed too
    # What the requests did, read back: the bulk links, the key, the webhook, the profile.
    listed = await client.get("/api/v1/user/api-keys", headers=headers)
    seed_key = next(k for k in listed.json()["data"]["api_keys"] if k["name"] == "My API Key")
    assert (seed_key["permissions"], seed_key["rate_limit"]) == (["read", "write"], 5000)
    for alias in ("page1", "page2"):
        assert (await client.get(f"/api/v1/urls/{alias}", headers=headers)).status_code == 200
    hooks = (await client.get("/api/v1/webhooks", headers=headers)).json()["data"]["webhooks"]
    assert [hook["url"] for hook in hooks] == ["https://your-app.com/webhook"]
    profile = (await client.get("/api/v1/user/profile", headers=headers)).json()["data"]
    assert (profile["display_name"], profile["email"]) == ("John Smith", "johnsmith@example.com")
    gone = await client.get(f"/api/v1/urls/{code}", headers=headers)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "URL_NOT_FOUND"
